import Foundation
import Logging
import SerinGit
import Testing

@Suite("The ledger on the status branch")
struct LedgerWriterTests {
    private func writer(for repository: DeploymentsRepository, cache: String = "cache") async throws -> LedgerWriter {
        let mirror = try await repository.mirror(cache)
        return LedgerWriter(mirror: mirror, logger: DeploymentsRepository.quiet)
    }

    private func record(_ index: Int, model: String = "ml/iris") -> LedgerRecord {
        LedgerRecord(path: "status/\(model).yaml", content: Array("phase: Progressing\nstep: \(index)\n".utf8),
                     message: "\(model): Progressing \(index)% (v2)\n\nstep \(index)\n\nSerin-Model: \(model)\n",
                     time: 1_780_000_000 + Int64(index))
    }

    private func log(_ repository: DeploymentsRepository, _ branch: String = "serin/status") throws -> [String] {
        try repository.git.run(["--git-dir", repository.bare.path, "log", "--format=%s", "--reverse", branch])
            .split(separator: "\n").map(String.init)
    }

    @Test func eachTransitionIsOneCommitOnTheStatusBranch() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("desired")
        let writer = try await writer(for: repository)
        for index in 1...3 { _ = try await writer.write(record(index)) }

        #expect(try log(repository) == ["ml/iris: Progressing 1% (v2)", "ml/iris: Progressing 2% (v2)", "ml/iris: Progressing 3% (v2)"])
        let content = try repository.git.run(["--git-dir", repository.bare.path, "show", "serin/status:status/ml/iris.yaml"])
        #expect(content == "phase: Progressing\nstep: 3\n")
        let author = try repository.git.run(["--git-dir", repository.bare.path, "log", "-1", "--format=%an <%ae> %at", "serin/status"])
        #expect(author == "Serin <serin@localhost> 1780000003\n")
        #expect(try log(repository, "main") == ["desired"])
    }

    @Test func theAuthorAndCommitterOfLedgerCommitsAreConfigurable() async throws {
        let repository = try DeploymentsRepository()
        let configuration = LedgerWriter.Configuration(author: GitSignature(name: "Ops Bot", email: "ops@example.com"),
                                                       committer: GitSignature(name: "Release Train", email: "train@example.com"))
        let writer = LedgerWriter(mirror: try await repository.mirror(), configuration: configuration, logger: DeploymentsRepository.quiet)
        _ = try await writer.write(record(1))
        let identities = try repository.git.run(["--git-dir", repository.bare.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "serin/status"])
        #expect(identities == "Ops Bot <ops@example.com>|Release Train <train@example.com>\n")
    }

    @Test func writingTheSameContentAgainMakesNoEmptyCommit() async throws {
        let repository = try DeploymentsRepository()
        let writer = try await writer(for: repository)
        let first = try await writer.write(record(1))
        let second = try await writer.write(record(1))
        #expect(first.commit != nil)
        #expect(second.commit == nil)
        #expect(try log(repository).count == 1)
    }

    @Test func aRestartedWriterContinuesTheExistingBranch() async throws {
        let repository = try DeploymentsRepository()
        _ = try await writer(for: repository, cache: "cache-a").write(record(1))
        _ = try await writer(for: repository, cache: "cache-b").write(record(2, model: "ml/fraud"))
        #expect(try log(repository) == ["ml/iris: Progressing 1% (v2)", "ml/fraud: Progressing 2% (v2)"])
        let files = try repository.git.run(["--git-dir", repository.bare.path, "ls-tree", "-r", "--name-only", "serin/status"])
        #expect(files == "status/ml/fraud.yaml\nstatus/ml/iris.yaml\n")
    }

    @Test func aRefusedPushIsReplayedOnTheNewTipWithoutLosingTheOtherCommit() async throws {
        let repository = try DeploymentsRepository()
        let writer = try await writer(for: repository)
        _ = try await writer.write(record(1))
        // Someone else pushes to the status branch behind Serin's back.
        try repository.git.run(["fetch", "--quiet", "origin", "serin/status"], in: repository.workTree)
        try repository.git.run(["checkout", "--quiet", "-B", "status", "FETCH_HEAD"], in: repository.workTree)
        try repository.write("notes.txt", "a human was here\n")
        try repository.commitAndPush("human note", branch: "serin/status")

        let written = try await writer.write(record(2))
        #expect(written.attempts == 1 || written.attempts == 2)
        #expect(try log(repository) == ["ml/iris: Progressing 1% (v2)", "human note", "ml/iris: Progressing 2% (v2)"])
        let notes = try repository.git.run(["--git-dir", repository.bare.path, "show", "serin/status:notes.txt"])
        #expect(notes == "a human was here\n")
    }

    @Test func theLedgerCanLiveUnderStatusOnTheDesiredBranch() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("desired")
        let mirror = try await repository.mirror()
        let source = DesiredStateSource(mirror: mirror, logger: DeploymentsRepository.quiet)
        _ = await source.sync()
        let writer = LedgerWriter(mirror: mirror, configuration: .init(branch: "main"),
                                  logger: DeploymentsRepository.quiet)
        _ = try await writer.write(record(1))

        #expect(try log(repository, "main") == ["desired", "ml/iris: Progressing 1% (v2)"])
        let files = try repository.git.run(["--git-dir", repository.bare.path, "ls-tree", "-r", "--name-only", "main"])
        #expect(files == "deployments/iris.yaml\nstatus/ml/iris.yaml\n")
        // The status commit moves the branch but not the deployments: nothing is decoded again.
        let outcome = await source.sync()
        #expect(outcome.desired?.parsedFiles == 0)
        #expect(outcome.desired?.decoding.state.entries.count == 1)
    }

    /// Another writer's clock is years behind: its commit, on top of Serin's, is dated before them. Replaying must
    /// still recognise Serin's pushed commits as already there.
    @Test func aForeignCommitDatedInThePastDoesNotMakeTheWriterReplayPushedCommits() async throws {
        let repository = try DeploymentsRepository()
        let writer = try await writer(for: repository)
        for index in 1...20 { _ = try await writer.write(record(index)) }
        try repository.git.run(["fetch", "--quiet", "origin", "serin/status"], in: repository.workTree)
        try repository.git.run(["checkout", "--quiet", "-B", "status", "FETCH_HEAD"], in: repository.workTree)
        for index in 1...50 {
            try repository.write("skewed/\(index).txt", "from a machine whose clock is wrong\n")
            try repository.git.run(["add", "-A"], in: repository.workTree)
            try repository.git.run(["commit", "--quiet", "-m", "skewed \(index)"], in: repository.workTree,
                                   environment: ["GIT_AUTHOR_DATE": "1990-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "1990-01-01T00:00:00Z"])
        }
        try repository.git.run(["push", "--quiet", "origin", "HEAD:refs/heads/serin/status"], in: repository.workTree)

        _ = try await writer.write(record(21))
        #expect(try log(repository) == (1...20).map { "ml/iris: Progressing \($0)% (v2)" } + (1...50).map { "skewed \($0)" }
            + ["ml/iris: Progressing 21% (v2)"])
    }

    /// A writer that pushed record 1, then committed record 2 while the remote was unreachable (its push failed, so
    /// it stays queued); the remote is back afterwards unless `keepAway`. Returns the writer and where the remote
    /// was moved to.
    private func writerWithAQueuedCommit(_ repository: DeploymentsRepository, keepAway: Bool = false) async throws
        -> (LedgerWriter, away: URL) {
        let writer = try await writer(for: repository)
        _ = try await writer.write(record(1))
        let away = repository.directory.url.appendingPathComponent("away.git")
        try FileManager.default.moveItem(at: repository.bare, to: away)
        await #expect(throws: GitError.self) { _ = try await writer.write(record(2)) }
        if !keepAway { try FileManager.default.moveItem(at: away, to: repository.bare) }
        return (writer, away)
    }

    @Test func commitsQueuedWhileTheRemoteWasUnreachableArePushedByTheNextWrite() async throws {
        let repository = try DeploymentsRepository()
        let (writer, _) = try await writerWithAQueuedCommit(repository)

        _ = try await writer.write(record(3))
        #expect(try log(repository) == ["ml/iris: Progressing 1% (v2)", "ml/iris: Progressing 2% (v2)", "ml/iris: Progressing 3% (v2)"])
    }

    /// git holds `<ref>.lock` while it moves a branch: a push of Serin's that meets it waits and tries again.
    @Test func aPushThatFindsTheBranchLockedByAnotherPushTriesAgain() async throws {
        let repository = try DeploymentsRepository()
        let writer = try await writer(for: repository)
        _ = try await writer.write(record(1))
        let lock = repository.bare.appendingPathComponent("refs/heads/serin/status.lock")
        try Data().write(to: lock)
        async let second = writer.write(record(2))
        try await Task.sleep(for: .milliseconds(300))
        try FileManager.default.removeItem(at: lock)
        _ = try await second
        #expect(try log(repository) == ["ml/iris: Progressing 1% (v2)", "ml/iris: Progressing 2% (v2)"])
    }

    @Test func flushingWithNothingQueuedDoesNotNeedTheRemote() async throws {
        let repository = try DeploymentsRepository()
        let writer = try await writer(for: repository)
        _ = try await writer.write(record(1))
        try FileManager.default.moveItem(at: repository.bare, to: repository.directory.url.appendingPathComponent("away.git"))
        try await writer.flush()
    }

    @Test func flushingPushesWhatAFailedWriteQueued() async throws {
        let repository = try DeploymentsRepository()
        let (writer, away) = try await writerWithAQueuedCommit(repository, keepAway: true)
        await #expect(throws: GitError.self) { try await writer.flush() }
        try FileManager.default.moveItem(at: away, to: repository.bare)
        try await writer.flush()
        #expect(try log(repository) == ["ml/iris: Progressing 1% (v2)", "ml/iris: Progressing 2% (v2)"])
    }

    /// Serin writes 200 transitions while another writer pushes 50 commits of its own to the same branch: all 250
    /// survive, in one linear history, Serin's in order.
    @Test(.timeLimit(.minutes(5)))
    func twoHundredTransitionsRaceFiftyForeignPushesAndNothingIsLost() async throws {
        let repository = try DeploymentsRepository()
        let writer = try await writer(for: repository)
        _ = try await writer.write(record(0))
        let git = repository.git
        let workTree = repository.workTree
        try git.run(["fetch", "--quiet", "origin", "serin/status"], in: workTree)
        try git.run(["checkout", "--quiet", "-B", "status", "FETCH_HEAD"], in: workTree)

        async let foreign: Int = Task.detached {
            var pushed = 0
            while pushed < 50 {
                try Data("note \(pushed)\n".utf8).write(to: workTree.appendingPathComponent("notes/\(pushed).txt").creatingDirectory())
                try git.run(["add", "-A"], in: workTree)
                try git.run(["commit", "--quiet", "-m", "foreign \(pushed)"], in: workTree)
                while true {
                    let push = try git.output(["push", "--quiet", "origin", "HEAD:refs/heads/serin/status"], in: workTree)
                    if push.succeeded { break }
                    try git.run(["pull", "--quiet", "--rebase", "origin", "serin/status"], in: workTree)
                }
                pushed += 1
            }
            return pushed
        }.value

        for index in 1...199 { _ = try await writer.write(record(index)) }
        #expect(try await foreign == 50)

        let subjects = try log(repository)
        #expect(subjects.count == 250)
        #expect(subjects.filter { $0.hasPrefix("ml/iris") } == (0...199).map { "ml/iris: Progressing \($0)% (v2)" })
        #expect(subjects.filter { $0.hasPrefix("foreign") }.count == 50)
        let merges = try repository.git.run(["--git-dir", repository.bare.path, "rev-list", "--merges", "serin/status"])
        #expect(merges.isEmpty)
    }
}

private extension URL {
    func creatingDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: deletingLastPathComponent(), withIntermediateDirectories: true)
        return self
    }
}
