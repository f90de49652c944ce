import Foundation
import Logging
import SerinCore
import SerinGit
import Testing

@Suite("The sync loop")
struct SyncLoopTests {
    /// Collects the loop's outcomes for the test to await.
    actor Outcomes {
        private var items: [SyncOutcome] = []
        private var waiters: [(Int, CheckedContinuation<[SyncOutcome], Never>)] = []

        func append(_ outcome: SyncOutcome) {
            items.append(outcome)
            let ready = waiters.filter { $0.0 <= items.count }
            waiters.removeAll { $0.0 <= items.count }
            for (_, waiter) in ready { waiter.resume(returning: items) }
        }

        func first(_ count: Int) async -> [SyncOutcome] {
            if items.count >= count { return items }
            return await withCheckedContinuation { waiters.append((count, $0)) }
        }
    }

    /// A repository with one model, and a sync loop on it whose interval (an hour) never elapses in a test.
    private func startLoop() async throws -> (DeploymentsRepository, DesiredStateSource, Outcomes, Task<Void, Never>) {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let source = DesiredStateSource(mirror: try await repository.mirror(), logger: DeploymentsRepository.quiet)
        let outcomes = Outcomes()
        let loop = Task {
            await source.run(schedule: SyncSchedule(interval: .seconds(3_600)), clock: ContinuousClock()) { outcome, _ in await outcomes.append(outcome) }
        }
        return (repository, source, outcomes, loop)
    }

    @Test(.timeLimit(.minutes(1)))
    func aTriggerSyncsAtOnceWithoutWaitingForTheInterval() async throws {
        let (repository, source, outcomes, loop) = try await startLoop()
        defer { loop.cancel() }

        let first = await outcomes.first(1)
        #expect(first.last?.desired?.decoding.state.deployments.first?.spec.model.version == "1")

        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris", version: "2"))
        try repository.commitAndPush("v2")
        source.trigger()
        let second = await outcomes.first(2)
        guard case .applied(let snapshot, _)? = second.last else {
            Issue.record("expected the triggered sync to apply v2, got \(String(describing: second.last))")
            return
        }
        #expect(snapshot.decoding.state.deployments.first?.spec.model.version == "2")
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheLoopEndsIt() async throws {
        let (_, _, outcomes, loop) = try await startLoop()
        _ = await outcomes.first(1)
        loop.cancel()
        await loop.value
    }
}
