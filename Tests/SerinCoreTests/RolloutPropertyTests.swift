import PropertyBased
import SerinCore
import Testing

/// Random sequences of observations against the rollout machine's promises.
@Suite("Rollout machine: properties over random histories")
struct RolloutPropertyTests {
    enum Event: Int, CaseIterable {
        case wait10s, wait1m, wait7m, ready, unready, crash, gatesPass, gatesFail, gatesInconclusive, approve,
             newVersion, labelChange, revertToStable, removeOrRestore
    }

    static let events = Gen.int(in: 0...(Event.allCases.count - 1)).map { Event(rawValue: $0) ?? .wait1m }.array(of: 1...40)
    static let strategies = ["canary", "blueGreen", "recreate"]

    /// Applies one event to the simulated world (not to the machine).
    static func apply(_ event: Event, to simulation: inout RolloutSimulation, versions: inout Int, removed: inout ModelDeployment?,
                      strategy: String) {
        let current = simulation.desired.map(\.revision.digest)
        switch event {
        case .wait10s: simulation.advance(seconds: 10)
        case .wait1m: simulation.advance(seconds: 60)
        case .wait7m: simulation.advance(seconds: 420)
        case .ready: if let current { simulation.readyDigests.insert(current) }
        case .unready: if let current { simulation.readyDigests.remove(current) }
        case .crash: if let current { simulation.crashedDigests[current] = "exited with status 1" }
        case .gatesPass: simulation.verdicts = [:]
        case .gatesFail: simulation.verdicts = ["successRate": .fail]
        case .gatesInconclusive: simulation.verdicts = ["successRate": .inconclusive]
        case .approve: if let version = simulation.desired?.spec.model.version { simulation.approvals.insert(version) }
        case .newVersion:
            versions += 1
            simulation.desired = Self.deployment(version: versions, strategy: strategy)
        case .labelChange:
            simulation.desired = simulation.desired.map { deployment in
                var changed = deployment
                changed.metadata.labels["touched"] = String(simulation.now.secondsSinceEpoch)
                return changed
            }
        case .revertToStable:
            if let stable = simulation.status?.stableVersion, let number = Int(stable) {
                simulation.desired = Self.deployment(version: number, strategy: strategy)
            }
        case .removeOrRestore:
            if let desired = simulation.desired {
                removed = desired
                simulation.desired = nil
            } else {
                simulation.desired = removed
            }
        }
    }

    static func deployment(version: Int, strategy: String) -> ModelDeployment {
        rolloutDeployment(version: String(version), strategy: strategy, steps: [10, 25, 50, 100],
                          approvalBefore: strategy == "recreate" ? nil : 100, maxFailedChecks: 2, maxInconclusiveChecks: 3)
    }

    /// Runs `events` for each strategy, checking `invariant` after every decision with the status before it.
    static func check(_ events: [Event], invariant: (RolloutSimulation, RolloutStatus?, RolloutDecision) -> Void) {
        for strategy in strategies {
            // Version 1 is stable; version 2 has just been merged.
            var versions = 2
            var removed: ModelDeployment?
            var simulation = establishedSimulation(deployment(version: 2, strategy: strategy),
                                                   from: deployment(version: 1, strategy: strategy))
            for event in events {
                apply(event, to: &simulation, versions: &versions, removed: &removed, strategy: strategy)
                for _ in 0..<3 {
                    let before = simulation.status
                    let decision = simulation.reconcile()
                    invariant(simulation, before, decision)
                    if !decision.isTransition { break }
                }
            }
        }
    }

    @Test func theWeightNeverExceedsTheCurrentStep() async {
        await propertyCheck(count: 100, input: Self.events) { events in
            Self.check(events) { simulation, _, decision in
                guard let status = decision.status, let steps = simulation.desired?.spec.rollout.steps,
                      simulation.desired?.spec.rollout.strategy == .canary, let index = status.stepIndex else { return }
                #expect(status.canaryWeight <= steps[index])
                for case .route(let split) in decision.actions where split.stable != nil {
                    #expect(split.canaryWeight <= steps[index])
                }
            }
        }
    }

    @Test func theWeightNeverIncreasesWhileAnyGateIsFailingOrInconclusive() async {
        await propertyCheck(count: 100, input: Self.events) { events in
            Self.check(events) { _, before, decision in
                guard let before, let after = decision.status, before.canaryDigest == after.canaryDigest,
                      after.canaryDigest != nil, after.canaryWeight > before.canaryWeight else { return }
                #expect(after.gates.allSatisfy { $0.verdict == .pass }, "weight rose to \(after.canaryWeight) with \(after.gates)")
            }
        }
    }

    @Test func aFailedRolloutAlwaysEndsWithTheStableVersionServingAllTraffic() async {
        await propertyCheck(count: 100, input: Self.events) { events in
            Self.check(events) { simulation, _, decision in
                guard let status = decision.status, status.phase == .Failed || status.phase == .RollingBack else { return }
                #expect(status.canaryWeight == 0)
                if let stable = status.stableVersion {
                    #expect(simulation.weights == [stable: 100])
                } else {
                    #expect(simulation.weights.isEmpty)
                }
            }
        }
    }

    @Test func decidingFromTheLedgersRecordOfTheStatusReachesTheSameDecision() async {
        await propertyCheck(count: 100, input: Self.events) { events in
            Self.check(events) { simulation, before, decision in
                guard let before else { return }
                guard case .success(let restored) = RolloutStatus.decode(Array(before.yaml.utf8), file: "status.yaml") else {
                    Issue.record("the status does not read back: \(before.yaml)")
                    return
                }
                #expect(restored == before)
            }
        }
    }

    @Test func replayingARecordedHistoryReachesTheSameStates() async {
        await propertyCheck(count: 50, input: Self.events) { events in
            var first: [RolloutDecision] = []
            var second: [RolloutDecision] = []
            Self.check(events) { _, _, decision in first.append(decision) }
            Self.check(events) { _, _, decision in second.append(decision) }
            #expect(first == second)
        }
    }
}
