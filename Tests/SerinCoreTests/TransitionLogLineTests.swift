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
}

extension RolloutSimulation {
    /// Reconciles once and returns the line the operator logs for the transition, or nil when there was none.
    mutating func reconcileLogging() -> String? {
        let decision = reconcile()
        guard decision.isTransition, let status = decision.status else { return nil }
        return TransitionLogLine.text(of: status, gatesChecked: decision.checkedGates)
    }
}
