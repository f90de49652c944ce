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

    @Test(.timeLimit(.minutes(1)))
    func aTriggerSyncsAtOnceWithoutWaitingForTheInterval() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let mirror = try await repository.mirror()
        let source = DesiredStateSource(mirror: mirror, logger: DeploymentsRepository.quiet)
        let outcomes = Outcomes()
        let loop = Task {
            await source.run(schedule: SyncSchedule(interval: .seconds(3_600)), clock: ContinuousClock()) { await outcomes.append($0) }
        }
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
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let mirror = try await repository.mirror()
        let source = DesiredStateSource(mirror: mirror, logger: DeploymentsRepository.quiet)
        let outcomes = Outcomes()
        let loop = Task {
            await source.run(schedule: SyncSchedule(interval: .seconds(3_600)), clock: ContinuousClock()) { await outcomes.append($0) }
        }
        _ = await outcomes.first(1)
        loop.cancel()
        await loop.value
    }
}
