import Foundation
import Logging
import SerinCore
import SerinGit
import SerinOperator
import Testing
import TestSupport

/// The operator loop against a real Git remote on disk (desired state and ledger), with a simulated runtime and
/// scripted gates, on a manual clock.
struct LoopHarness {
    let remote: DeploymentsRemote
    let clock = ManualClock()
    let runtime: SimulatedRuntime
    let gates = ScriptedGates()
    let reader: LedgerReader
    let loop: ReconcileLoop<ManualClock>
    static let iris = DeploymentKey(namespace: "ml", name: "iris")

    /// The source, the loop, the reconciler and the runtime log to `logger`.
    init(remote: DeploymentsRemote, logger: Logger = Quiet.logger) async throws {
        self.remote = remote
        runtime = SimulatedRuntime(logger: logger)
        let (ledger, reader) = try await remote.ledger()
        self.reader = reader
        let clock = self.clock
        let reconciler = ModelReconciler(runtime: runtime, gates: gates, ledger: ledger, now: {
            Timestamp(millisecondsSinceEpoch: 1_795_918_800_000 + clock.now.offset.components.seconds * 1_000)
        }, logger: logger)
        let source = DesiredStateSource(mirror: try await remote.mirror("source-\(UUID().uuidString)"),
                                        configuration: .init(branch: "main", root: "deployments"), logger: logger)
        loop = ReconcileLoop(source: source, reconciler: reconciler, clock: clock,
                             configuration: .init(workers: 2, schedule: SyncSchedule(interval: .seconds(3600))),
                             logger: logger)
    }

    func phases() async throws -> [String] {
        try await reader.history(of: Self.iris).map { "\($0.phase.rawValue) \($0.weight)" }
    }

    /// Advances the clock a second at a time until `condition` holds (or a minute of test time passed).
    func advance(until condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<90 {
            if try await condition() { return true }
            clock.advance(by: .seconds(1))
            _ = await eventually(within: .milliseconds(300)) { (try? await condition()) ?? false }
        }
        return try await condition()
    }

    /// Merges iris v1 into a new remote and runs the loop until v1 has Succeeded, then runs `body` while the loop
    /// still runs.
    static func runningIrisV1(logger: Logger = Quiet.logger, _ body: (LoopHarness) async throws -> Void) async throws {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", irisDocument(version: "1"), message: "deploy iris v1")
        try await LoopHarness(remote: remote, logger: logger).run { harness in
            #expect(await eventually { (try? await harness.phases().last) == "Succeeded 100" })
            try await body(harness)
        }
    }

    func run(_ body: (LoopHarness) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await loop.run() }
            try await body(self)
            group.cancelAll()
        }
    }
}

@Suite("Operator loop against a real Git remote")
struct ReconcileLoopTests {
    @Test func aMergedModelIsDeployedAndACanaryWalksEveryStepWithOneCommitPerTransition() async throws {
        try await LoopHarness.runningIrisV1 { harness in
            let remote = harness.remote
            #expect(await harness.runtime.versions(of: LoopHarness.iris) == ["1"])

            try await remote.merge("deployments/iris.yaml", irisDocument(version: "2"), message: "iris v2")
            harness.loop.syncNow()
            #expect(try await harness.advance {
                let phases = try await harness.phases()
                return phases.last == "Succeeded 100" && phases.count > 3
            })
            #expect(try await harness.phases() == [
                "Pending 0", "Promoting 100", "Succeeded 100",
                "Pending 0", "Progressing 10", "Progressing 50", "Progressing 100", "Promoting 100", "Succeeded 100",
            ])
            #expect(await harness.runtime.versions(of: LoopHarness.iris) == ["2"])
            #expect(await harness.gates.checks.map(\.canaryWeight) == [10, 50, 100])
        }
    }

    @Test func anInvalidCommitIsReportedInOneLineThatSaysTheLastGoodStateStaysInForce() async throws {
        let log = CapturedLog()
        try await LoopHarness.runningIrisV1(logger: log.logger) { harness in
            let remote = harness.remote
            try await remote.merge("deployments/iris.yaml", "apiVersion: serin.dev/v1alpha1\nkind: ModelDeployment\n",
                                   message: "broken")
            harness.loop.syncNow()
            #expect(await eventually { log.lines.contains { $0.message.contains("does not validate") } })
        }
        let reports = log.lines.filter { $0.level >= .warning }
        #expect(reports.map(\.message) == ["the desired branch does not validate; the last good state stays in force"])
        #expect(reports.first?.metadata["first"]?.hasPrefix("deployments/iris.yaml:") == true, "\(reports)")
    }

    @Test func aCommitThatStaysInvalidIsReportedOnceAcrossPolls() async throws {
        // A branch without deployments/ reads as invalid at every poll (a commit whose files do not decode is read
        // once): the loop is told again and again, and must not say it again each time.
        let remote = try DeploymentsRemote()
        try await remote.merge("README.md", "models go under deployments/\n", message: "start")
        let log = CapturedLog()
        let harness = try await LoopHarness(remote: remote, logger: log.logger)
        let message = "the desired branch does not validate; nothing is applied until a commit does"
        try await harness.run { harness in
            for polls in 1...3 {
                harness.loop.syncNow()
                #expect(await eventually { log.lines.filter { $0.message == message }.count >= polls })
            }
            // Another commit that is still invalid is news again.
            try await remote.merge("NOTES.md", "still none\n", message: "notes")
            harness.loop.syncNow()
            #expect(await eventually { log.lines.filter { $0.message == message && $0.level >= .warning }.count == 2 })
        }
        let reports = log.lines.filter { $0.message == message && $0.level >= .warning }
        #expect(reports.count == 2, "\(reports)")
        #expect(Set(reports.compactMap { $0.metadata["commit"] }).count == 2, "\(reports)")
        #expect(log.lines.filter { $0.message == message }.count >= 4)
    }

    @Test func anInvalidFirstCommitIsReportedAsNothingApplied() async throws {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", "apiVersion: serin.dev/v1alpha1\nkind: ModelDeployment\n",
                               message: "broken")
        let log = CapturedLog()
        let harness = try await LoopHarness(remote: remote, logger: log.logger)
        try await harness.run { _ in
            #expect(await eventually { log.lines.contains { $0.message.contains("does not validate") } })
        }
        let reports = log.lines.filter { $0.level >= .warning }
        #expect(reports.map(\.message) == ["the desired branch does not validate; nothing is applied until a commit does"])
    }

    @Test func aTransitionIsLoggedBeforeTheActionsItTakes() async throws {
        let log = CapturedLog()
        try await LoopHarness.runningIrisV1(logger: log.logger) { harness in
        }
        // Pending deploys and routes v1; Promoting and Succeeded change nothing more.
        let lines = log.lines.filter { $0.metadata["phase"] != nil || $0.message == "runtime changed" }
            .map { $0.metadata["phase"] ?? $0.message }
        #expect(lines.prefix(2) == ["Pending", "runtime changed"], "\(lines)")
    }

    @Test func aTransitionWhoseActionsKeepFailingIsLoggedOnceWithEachFailureAfterIt() async throws {
        let log = CapturedLog()
        try await LoopHarness.runningIrisV1(logger: log.logger) { harness in
            await harness.runtime.failNext(3)
            try await harness.remote.merge("deployments/iris.yaml", irisDocument(version: "2"), message: "iris v2")
            harness.loop.syncNow()
            #expect(try await harness.advance { try await harness.phases().last == "Progressing 10" })
        }
        let lines = log.lines.filter { $0.message.hasPrefix("Rolling out v2") || $0.message.contains("the runtime failed") }
            .map { "\($0.level) \($0.message.hasPrefix("Rolling out v2") ? "transition" : "failure")" }
        #expect(lines == ["info transition", "warning failure", "debug transition", "warning failure",
                          "debug transition", "warning failure", "debug transition"], "\(lines)")
    }

    @Test func aSteadyStateMakesNoRuntimeChangesAndNoCommits() async throws {
        try await LoopHarness.runningIrisV1 { harness in
            let changes = await harness.runtime.changeCount
            let commits = try await harness.phases().count
            for _ in 0..<3 {
                harness.loop.syncNow()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await eventually { await harness.loop.queue.depth == 0 })
            #expect(await harness.runtime.changeCount == changes)
            #expect(try await harness.phases().count == commits)
        }
    }

    @Test func aFailingCanaryRollsBackAndIsNotRetriedUntilANewCommit() async throws {
        try await LoopHarness.runningIrisV1 { harness in
            let remote = harness.remote
            await harness.gates.set("successRate", .fail)
            try await remote.merge("deployments/iris.yaml", irisDocument(version: "2"), message: "iris v2")
            harness.loop.syncNow()
            #expect(try await harness.advance { try await harness.phases().last == "Failed 0" })
            #expect(try await harness.phases().suffix(5) == ["Pending 0", "Progressing 10", "Progressing 10", "RollingBack 0", "Failed 0"])
            #expect(try remote.subjects(of: "serin/status").suffix(5) == [
                "ml/iris: Pending 0% (v2)", "ml/iris: Progressing 10% (v2)", "ml/iris: Progressing 10% (v2), held: successRate fail",
                "ml/iris: RollingBack 0% (v2)", "ml/iris: Failed 0% (v2)",
            ])
            #expect(await harness.runtime.versions(of: LoopHarness.iris) == ["1"])
            #expect(await harness.runtime.traffic[LoopHarness.iris]?.canary == nil)
            let failed = try await harness.phases().count
            harness.clock.advance(by: .seconds(600))
            harness.loop.syncNow()
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await harness.phases().count == failed)
        }
    }

    @Test func aModelRemovedFromGitIsPrunedAndTheRemovalRecorded() async throws {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", irisDocument(version: "1"), message: "deploy iris v1")
        try await remote.merge("deployments/keep.yaml", "# nothing here yet\n", message: "placeholder")
        let harness = try await LoopHarness(remote: remote)
        try await harness.run { harness in
            #expect(await eventually { (try? await harness.phases().last) == "Succeeded 100" })
            try await remote.merge("deployments/iris.yaml", "# removed\n", message: "remove iris")
            harness.loop.syncNow()
            #expect(await eventually { (try? await harness.phases().last) == "Removed 0" })
            #expect(await harness.runtime.versions(of: LoopHarness.iris) == [])
        }
    }

    @Test func aRestartedOperatorResumesTheRolloutFromTheLedger() async throws {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", irisDocument(version: "1"), message: "deploy iris v1")
        let first = try await LoopHarness(remote: remote)
        try await first.run { harness in
            #expect(await eventually { (try? await harness.phases().last) == "Succeeded 100" })
            try await remote.merge("deployments/iris.yaml", irisDocument(version: "2"), message: "iris v2")
            harness.loop.syncNow()
            #expect(try await harness.advance { try await harness.phases().last == "Progressing 50" })
        }
        // A new process: nothing in memory but the ledger and the runtime's workloads.
        let second = try await LoopHarness(remote: remote)
        for version in ["1", "2"] {
            let revision = ModelDeploymentFixture.revision(irisDocument(version: version))
            try await second.runtime.perform([.deploy(revision, replicas: 2)], key: LoopHarness.iris, desired: nil)
        }
        try await second.run { harness in
            #expect(try await harness.advance { try await harness.phases().last == "Succeeded 100" })
            let phases = try await harness.phases()
            #expect(phases.filter { $0 == "Progressing 50" }.count == 1)
            #expect(phases.suffix(4) == ["Progressing 50", "Progressing 100", "Promoting 100", "Succeeded 100"])
            #expect(await harness.gates.checks.map(\.canaryWeight) == [50, 100])
        }
    }
}

enum ModelDeploymentFixture {
    static func revision(_ yaml: String) -> ServingRevision {
        let decoding = DesiredState.decode([SourceFile(path: "x.yaml", text: yaml)])
        return decoding.state.deployments[0].revision
    }
}
