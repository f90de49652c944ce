import SerinCore
import Testing

@Suite("The log line of a rollout transition")
struct TransitionLogLineTests {
    let gates = ["successRate: {min: 0.99}", "latency: {max: 250ms}"]

    @Test func aStepLineGivesEveryGateCheckedForIt() {
        var simulation = establishedSimulation(rolloutDeployment(gates: gates))
        simulation.startRollout()
        simulation.advance(seconds: 60)
        let line = simulation.reconcileLogging()
        #expect(line == "Gates passed for 1m at 10%; v2 now takes 50%. "
                + "[successRate: 0.999 >= 0.99 pass; latency p99: 0.999ms <= 250ms pass]")
    }

    @Test func aRollbackLineStatesTheFailedGateOnceAndGivesTheOthers() {
        var simulation = establishedSimulation(rolloutDeployment(gates: gates))
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.reconcile()
        simulation.advance(seconds: 60)
        let line = simulation.reconcileLogging()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(line == "Gate successRate failed 2 checks in a row: 0.9 < 0.99 fail (2 consecutive). "
                + "[latency p99: 0.999ms <= 250ms pass]")
    }

    @Test func aTransitionThatCheckedNoGateGivesNoEvidence() {
        // The rollback ends, and the promotion finishes, on the results of the check before: its line gave them.
        var simulation = establishedSimulation(rolloutDeployment(gates: gates))
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        for _ in 0..<2 {
            simulation.advance(seconds: 60)
            simulation.reconcile()
        }
        let line = simulation.reconcileLogging()
        #expect(simulation.status?.phase == .Failed)
        #expect(simulation.status?.gates.isEmpty == false)
        #expect(line == simulation.status?.reason)
    }

    @Test func aPassingReadinessCheckIsLeftOut() {
        let status = RolloutStatus(key: DeploymentKey(namespace: "ml", name: "iris"), phase: .Progressing,
                                   gates: [GateResult(name: RolloutMachine.readinessGate, verdict: .pass, value: nil,
                                                      threshold: "ready")],
                                   desiredCommit: "0123456", reason: "v2 is ready; v2 now takes 10%.",
                                   startedAt: Timestamp(secondsSinceEpoch: 0), updatedAt: Timestamp(secondsSinceEpoch: 0))
        #expect(TransitionLogLine.text(of: status, gatesChecked: true) == "v2 is ready; v2 now takes 10%.")
    }

    @Test func gatesThatShareANoteGiveItOnceAfterTheLastOfThem() {
        let window = "17 requests over the last 10s"
        let status = Self.status(reason: "Gates passed for 10s at 20%; v5 now takes 50%.", gates: [
            GateResult(name: "successRate", verdict: .pass, value: 1, threshold: ">= 0.95", message: window),
            GateResult(name: "latency", statistic: "p95", verdict: .pass, value: 2.875, unit: "ms",
                       threshold: "<= 250ms", message: window),
        ])
        #expect(TransitionLogLine.text(of: status, gatesChecked: true)
                == "Gates passed for 10s at 20%; v5 now takes 50%. "
                + "[successRate: 1 >= 0.95 pass; latency p95: 2.875ms <= 250ms pass; 17 requests over the last 10s]")
    }

    @Test func gatesWithDifferentNotesKeepTheirOwn() {
        let status = Self.status(reason: "Gates passed for 10s at 20%; v5 now takes 50%.", gates: [
            GateResult(name: "successRate", verdict: .pass, value: 1, threshold: ">= 0.95",
                       message: "17 requests over the last 10s"),
            GateResult(name: "queue", verdict: .pass, value: 3, threshold: "<= 5", message: "from 2 series"),
            GateResult(name: "latency", statistic: "p95", verdict: .pass, value: 2.875, unit: "ms",
                       threshold: "<= 250ms", message: "17 requests over the last 10s"),
        ])
        #expect(TransitionLogLine.text(of: status, gatesChecked: true)
                == "Gates passed for 10s at 20%; v5 now takes 50%. [successRate: 1 >= 0.95 pass; "
                + "17 requests over the last 10s; queue: 3 <= 5 pass; from 2 series; "
                + "latency p95: 2.875ms <= 250ms pass; 17 requests over the last 10s]")
    }

    @Test func aNoteTheReasonAlreadyGivesIsLeftOutOfTheGatesAfterIt() {
        let window = "18 requests over the last 10s"
        let failed = GateResult(name: "successRate", verdict: .fail, value: 0.722222, threshold: ">= 0.95",
                                message: window, consecutiveFailures: 2)
        let reason = "Gate successRate failed 2 checks in a row: \(LedgerCommitMessage.gateEvidence(failed))."
        let status = Self.status(reason: reason, gates: [
            failed,
            GateResult(name: "latency", statistic: "p95", verdict: .pass, value: 2.75, unit: "ms",
                       threshold: "<= 250ms", message: window),
        ])
        #expect(TransitionLogLine.text(of: status, gatesChecked: true)
                == "Gate successRate failed 2 checks in a row: 0.722222 < 0.95 fail (2 consecutive); "
                + "18 requests over the last 10s. [latency p95: 2.75ms <= 250ms pass]")
    }

    private static func status(reason: String, gates: [GateResult]) -> RolloutStatus {
        RolloutStatus(key: DeploymentKey(namespace: "quickstart", name: "iris"), phase: .Progressing, gates: gates,
                      desiredCommit: "0123456", reason: reason, startedAt: Timestamp(secondsSinceEpoch: 0),
                      updatedAt: Timestamp(secondsSinceEpoch: 0))
    }
}

extension RolloutSimulation {
    /// Reconciles once and returns the line the operator logs for the transition, or nil when there was none.
    mutating func reconcileLogging() -> String? {
        let decision = reconcile()
        guard decision.isTransition, let status = decision.status else { return nil }
        return TransitionLogLine.text(of: status, gatesChecked: decision.checkedGates)
    }
}
