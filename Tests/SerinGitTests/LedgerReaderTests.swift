import Foundation
import Logging
import SerinCore
import SerinGit
import Testing

@Suite("Reading the ledger back")
struct LedgerReaderTests {
    static let key = DeploymentKey(namespace: "ml-prod", name: "fraud-detector")
    static let desired = String(repeating: "ab", count: 20)
    static let quiet = DeploymentsRepository.quiet

    static func status(_ phase: RolloutPhase, weight: Int, step: Int?, at second: Int64, key: DeploymentKey = key,
                       gates: [GateResult] = []) -> RolloutStatus {
        RolloutStatus(key: key, phase: phase, stableVersion: "12", canaryVersion: phase == .Succeeded ? nil : "13",
                      canaryWeight: weight, stepIndex: step, gates: gates, desiredCommit: desired,
                      reason: "\(phase.rawValue) at \(weight)%", startedAt: Timestamp(secondsSinceEpoch: 1_780_000_000),
                      updatedAt: Timestamp(secondsSinceEpoch: 1_780_000_000 + second))
    }

    static let successRate = GateResult(gate: Gate(name: "successRate", check: .successRate(min: 0.99)), verdict: .pass, value: 0.995)

    private func mirror(_ repository: DeploymentsRepository, _ cache: String) async throws -> GitMirror {
        try await repository.mirror(cache)
    }

    @Test func aFreshStartLearnsWhereEveryRolloutStood() async throws {
        let repository = try DeploymentsRepository()
        let writer = LedgerWriter(mirror: try await mirror(repository, "writer"), logger: Self.quiet)
        let other = DeploymentKey(namespace: "ml", name: "iris")
        _ = try await writer.write(LedgerRecord(status: Self.status(.Progressing, weight: 10, step: 0, at: 60)))
        _ = try await writer.write(LedgerRecord(status: Self.status(.Progressing, weight: 25, step: 1, at: 120, gates: [Self.successRate])))
        _ = try await writer.write(LedgerRecord(status: Self.status(.Succeeded, weight: 0, step: nil, at: 30, key: other)))

        let statuses = try await LedgerReader(mirror: try await mirror(repository, "reader"), logger: Self.quiet).statuses()
        #expect(statuses.count == 2)
        #expect(statuses[Self.key] == Self.status(.Progressing, weight: 25, step: 1, at: 120, gates: [Self.successRate]))
        #expect(statuses[other]?.phase == .Succeeded)
    }

    /// The local runtime after a reboot with Git down: the same mirror that wrote the ledger reads it back, queued
    /// commits included.
    @Test func aReaderThatCannotReachGitReadsTheLedgerItsMirrorHoldsWhenAskedTo() async throws {
        let repository = try DeploymentsRepository()
        let mirror = try await mirror(repository, "local")
        let writer = LedgerWriter(mirror: mirror, logger: Self.quiet)
        _ = try await writer.write(LedgerRecord(status: Self.status(.Progressing, weight: 10, step: 0, at: 60)))
        let away = repository.directory.url.appendingPathComponent("away.git")
        try FileManager.default.moveItem(at: repository.bare, to: away)
        // Committed here, its push refused: queued.
        _ = try? await writer.write(LedgerRecord(status: Self.status(.Progressing, weight: 25, step: 1, at: 120)))

        let reader = LedgerReader(mirror: mirror, readsLocalWhenUnreachable: true, logger: Self.quiet)
        #expect(try await reader.statuses()[Self.key]?.canaryWeight == 25)
        await #expect(throws: GitError.self) { _ = try await LedgerReader(mirror: mirror, logger: Self.quiet).statuses() }
    }

    @Test func aReaderThatCannotReachGitFailsWhenItsMirrorHoldsNoLedger() async throws {
        let repository = try DeploymentsRepository()
        try FileManager.default.moveItem(at: repository.bare, to: repository.directory.url.appendingPathComponent("away.git"))
        let reader = LedgerReader(mirror: try await mirror(repository, "empty"), readsLocalWhenUnreachable: true, logger: Self.quiet)
        await #expect(throws: GitError.self) { _ = try await reader.statuses() }
    }

    @Test func aRepositoryWithoutALedgerHasNoStatuses() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("desired only")
        #expect(try await LedgerReader(mirror: try await mirror(repository, "reader"), logger: Self.quiet).statuses().isEmpty)
    }

    @Test func historyListsOneModelsTransitionsOldestFirstAndSkipsOtherCommits() async throws {
        let repository = try DeploymentsRepository()
        let writer = LedgerWriter(mirror: try await mirror(repository, "writer"), logger: Self.quiet)
        _ = try await writer.write(LedgerRecord(status: Self.status(.Progressing, weight: 10, step: 0, at: 60)))
        _ = try await writer.write(LedgerRecord(status: Self.status(.Succeeded, weight: 0, step: nil, at: 5, key: DeploymentKey(namespace: "ml", name: "iris"))))
        _ = try await writer.write(LedgerRecord(status: Self.status(.Progressing, weight: 25, step: 1, at: 120, gates: [Self.successRate])))
        try repository.git.run(["fetch", "--quiet", "origin", "serin/status"], in: repository.workTree)
        try repository.git.run(["checkout", "--quiet", "-B", "status", "FETCH_HEAD"], in: repository.workTree)
        try repository.write("README.md", "the ledger\n")
        try repository.commitAndPush("a human commit", branch: "serin/status")
        _ = try await writer.write(LedgerRecord(status: Self.status(.Succeeded, weight: 0, step: nil, at: 180)))

        let history = try await LedgerReader(mirror: try await mirror(repository, "reader"), logger: Self.quiet).history(of: Self.key)
        #expect(history.map(\.phase) == [.Progressing, .Progressing, .Succeeded])
        #expect(history.map(\.weight) == [10, 25, 0])
        #expect(history.map(\.time.secondsSinceEpoch) == [1_780_000_060, 1_780_000_120, 1_780_000_180])
        #expect(history[1].gates == [Self.successRate])
        #expect(history.allSatisfy { $0.desiredCommit == Self.desired })
        let commits = try repository.git.run(["--git-dir", repository.bare.path, "log", "--format=%H", "--reverse", "serin/status"])
            .split(separator: "\n").map(String.init)
        #expect(history.map(\.commit) == [commits[0], commits[2], commits[4]])
    }
}
