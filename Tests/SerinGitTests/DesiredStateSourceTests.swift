import Foundation
import Logging
import SerinCore
import SerinGit
import Testing

@Suite("Desired state from Git")
struct DesiredStateSourceTests {
    private func source(for repository: DeploymentsRepository, root: String = "deployments") async throws -> DesiredStateSource {
        let mirror = try await repository.mirror()
        return DesiredStateSource(mirror: mirror, configuration: .init(branch: "main", root: root),
                                  logger: DeploymentsRepository.quiet)
    }

    @Test func firstSyncReadsEveryManifestUnderTheRoot() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.write("deployments/team-a/fraud.yml", DeploymentsRepository.deployment("fraud"))
        try repository.write("deployments/README.md", "not a manifest")
        try repository.write("other/ignored.yaml", "not: [valid")
        let commit = try repository.commitAndPush("two models")

        let outcome = try await source(for: repository).sync()
        guard case .applied(let snapshot, let forcePushed) = outcome else {
            Issue.record("expected applied, got \(outcome)")
            return
        }
        #expect(snapshot.commit.hex == commit)
        #expect(!forcePushed)
        #expect(snapshot.parsedFiles == 2)
        #expect(snapshot.decoding.state.deployments.map(\.metadata.name) == ["fraud", "iris"])
        #expect(snapshot.decoding.state.entries[DeploymentKey(namespace: "ml", name: "iris")]?.file == "deployments/iris.yaml")
    }

    /// The local runtime's start after a reboot with Git down: a new process on the same mirror.
    @Test func aFirstSyncThatCannotReachGitHandsOnWhatTheMirrorLastFetchedWhenAskedTo() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        let commit = try repository.commitAndPush("one model")
        _ = try await source(for: repository).sync()
        try FileManager.default.moveItem(at: repository.bare, to: repository.directory.url.appendingPathComponent("away.git"))

        let restarted = DesiredStateSource(mirror: try await repository.mirror(),
                                           configuration: .init(branch: "main", startFromLastFetched: true),
                                           logger: DeploymentsRepository.quiet)
        let outcome = await restarted.sync()
        guard case .failed(_, let lastGood) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(lastGood?.commit.hex == commit)
        #expect(lastGood?.decoding.state.deployments.map(\.metadata.name) == ["iris"])
    }

    @Test func aFirstSyncThatCannotReachGitHandsOnNothingByDefault() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("one model")
        _ = try await source(for: repository).sync()
        try FileManager.default.moveItem(at: repository.bare, to: repository.directory.url.appendingPathComponent("away.git"))

        let outcome = try await source(for: repository).sync()
        guard case .failed(_, let lastGood) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(lastGood == nil)
    }

    @Test func aSourceThatStartedFromTheMirrorCarriesOnWhenGitAnswers() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("one model")
        _ = try await source(for: repository).sync()
        let away = repository.directory.url.appendingPathComponent("away.git")
        try FileManager.default.moveItem(at: repository.bare, to: away)
        let restarted = DesiredStateSource(mirror: try await repository.mirror(),
                                           configuration: .init(branch: "main", startFromLastFetched: true),
                                           logger: DeploymentsRepository.quiet)
        _ = await restarted.sync()
        try FileManager.default.moveItem(at: away, to: repository.bare)
        guard case .unchanged = await restarted.sync() else {
            Issue.record("expected unchanged: the branch did not move since the mirror fetched it")
            return
        }
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris", version: "2"))
        let moved = try repository.commitAndPush("iris v2")
        guard case .applied(let snapshot, _) = await restarted.sync() else {
            Issue.record("expected applied")
            return
        }
        #expect(snapshot.commit.hex == moved)
        #expect(snapshot.parsedFiles == 1)
    }

    @Test func anUnmovedBranchIsUnchanged() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("one model")
        let source = try await source(for: repository)
        _ = await source.sync()
        guard case .unchanged = await source.sync() else {
            Issue.record("expected unchanged")
            return
        }
    }

    @Test func aPushChangingOneFileOutOfTwoThousandReparsesExactlyOne() async throws {
        let repository = try DeploymentsRepository()
        for index in 0..<2_000 {
            try repository.write("deployments/m\(index).yaml", DeploymentsRepository.deployment("m\(index)"))
        }
        try repository.commitAndPush("2000 models")
        let source = try await source(for: repository)
        let first = await source.sync()
        #expect(first.desired?.parsedFiles == 2_000)
        #expect(first.desired?.decoding.state.entries.count == 2_000)

        try repository.write("deployments/m1234.yaml", DeploymentsRepository.deployment("m1234", version: "2"))
        try repository.commitAndPush("m1234 v2")
        let second = await source.sync()
        guard case .applied(let snapshot, _) = second else {
            Issue.record("expected applied, got \(second)")
            return
        }
        #expect(snapshot.parsedFiles == 1)
        #expect(snapshot.fileCount == 2_000)
        #expect(snapshot.decoding.state.entries[DeploymentKey(namespace: "ml", name: "m1234")]?.deployment.spec.model.version == "2")
    }

    @Test func deletedFilesLeaveTheDesiredState() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/a.yaml", DeploymentsRepository.deployment("a"))
        try repository.write("deployments/b.yaml", DeploymentsRepository.deployment("b"))
        try repository.commitAndPush("a and b")
        let source = try await source(for: repository)
        _ = await source.sync()
        try repository.remove("deployments/b.yaml")
        try repository.commitAndPush("remove b")
        let outcome = await source.sync()
        #expect(outcome.desired?.decoding.state.deployments.map(\.metadata.name) == ["a"])
        #expect(outcome.desired?.parsedFiles == 0)
    }

    @Test func anInvalidCommitIsNotAppliedAndTheLastGoodStateStays() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        let good = try repository.commitAndPush("good")
        let source = try await source(for: repository)
        _ = await source.sync()

        try repository.write("deployments/iris.yaml", "apiVersion: serin.dev/v1alpha1\nkind: ModelDeployment\nmetadata: {name: iris\n")
        let bad = try repository.commitAndPush("broken YAML")
        let outcome = await source.sync()
        guard case .invalid(let commit, let diagnostics, let lastGood) = outcome else {
            Issue.record("expected invalid, got \(outcome)")
            return
        }
        #expect(commit.hex == bad)
        #expect(diagnostics.map(\.file) == ["deployments/iris.yaml"])
        #expect(diagnostics.first?.message.hasPrefix("invalid YAML") == true)
        #expect(lastGood?.commit.hex == good)
        #expect(await source.lastGood?.commit.hex == good)

        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris", version: "2"))
        try repository.commitAndPush("fixed")
        let fixed = await source.sync()
        #expect(fixed.desired?.decoding.state.deployments.first?.spec.model.version == "2")
        #expect(fixed.desired?.parsedFiles == 1)
    }

    @Test func aForcePushedBranchIsFollowedAndFlagged() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris", version: "2"))
        try repository.commitAndPush("v2")
        let source = try await source(for: repository)
        _ = await source.sync()

        try repository.git.run(["reset", "--hard", "HEAD~1"], in: repository.workTree)
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris", version: "3"))
        let rewritten = try repository.commitAndPush("v3 instead", force: true)
        let outcome = await source.sync()
        guard case .applied(let snapshot, let forcePushed) = outcome else {
            Issue.record("expected applied, got \(outcome)")
            return
        }
        #expect(forcePushed)
        #expect(snapshot.commit.hex == rewritten)
        #expect(snapshot.decoding.state.deployments.first?.spec.model.version == "3")
    }

    @Test func aMissingDeploymentsRootIsAnErrorNotAnEmptyState() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let source = try await source(for: repository, root: "deploymnets")
        guard case .invalid(_, let diagnostics, nil) = await source.sync() else {
            Issue.record("expected invalid")
            return
        }
        #expect(diagnostics.map(\.summary) == ["the commit has no deploymnets/ directory; check the branch and the deployments path; nothing is applied from this commit"])
    }

    @Test func removingTheLastManifestEmptiesTheDesiredStateInsteadOfBeingRefused() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let source = try await source(for: repository)
        #expect(await source.sync().desired?.decoding.state.entries.count == 1)
        // Git keeps no empty directory: deleting the last file deletes deployments/ too.
        try repository.remove("deployments/iris.yaml")
        try repository.write("README.md", "nothing deployed")
        let commit = try repository.commitAndPush("remove the last model")
        guard case .applied(let snapshot, _) = await source.sync() else {
            Issue.record("expected the removal to apply")
            return
        }
        #expect(snapshot.commit.hex == commit)
        #expect(snapshot.decoding.state.entries.isEmpty)
        // A model added back later is read again from scratch.
        try repository.write("deployments/fraud.yaml", DeploymentsRepository.deployment("fraud"))
        try repository.commitAndPush("deploy fraud")
        #expect(await source.sync().desired?.decoding.state.deployments.map(\.metadata.name) == ["fraud"])
    }

    @Test func anUnreachableRemoteFailsClearlyAndKeepsTheLastGoodState() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        let good = try repository.commitAndPush("v1")
        let source = try await source(for: repository)
        _ = await source.sync()
        try FileManager.default.moveItem(at: repository.bare, to: repository.directory.url.appendingPathComponent("moved.git"))

        let outcome = await source.sync()
        guard case .failed(let error, let lastGood) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(error.description == "could not fetch main from \(repository.bare.path): no repository at \(repository.bare.path)")
        #expect(lastGood?.commit.hex == good)
    }
}

@Suite("A damaged mirror")
struct DamagedMirrorTests {
    @Test func aMirrorWithDeletedPackFilesIsRebuiltAndTheSyncSucceeds() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let mirror = try await repository.mirror()
        let source = DesiredStateSource(mirror: mirror, logger: DeploymentsRepository.quiet)
        _ = await source.sync()

        let packs = URL(fileURLWithPath: mirror.path).appendingPathComponent("objects/pack")
        let packFiles = try FileManager.default.contentsOfDirectory(atPath: packs.path)
        #expect(!packFiles.isEmpty)
        for file in packFiles { try FileManager.default.removeItem(at: packs.appendingPathComponent(file)) }

        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris", version: "2"))
        let commit = try repository.commitAndPush("v2")
        let outcome = await source.sync()
        guard case .applied(let snapshot, _) = outcome else {
            Issue.record("expected applied after rebuilding the mirror, got \(outcome)")
            return
        }
        #expect(snapshot.commit.hex == commit)
        #expect(snapshot.decoding.state.deployments.first?.spec.model.version == "2")
    }
}

/// Serin stopped, its mirror lost its pack files, and Serin started again on the same cache, over git://: the fresh
/// process has synced nothing yet, and still rebuilds the mirror instead of failing every sync.
@Suite("A mirror damaged while Serin was stopped")
struct DamagedMirrorOnStartTests {
    @Test func aMirrorWithDeletedPackFilesFoundOnStartIsRebuilt() async throws {
        let server = try await GitDaemonServer.start()
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "desired")
        _ = try repository.commitAndPush(["deployments/iris.yaml": DeploymentsRepository.deployment("iris")], message: "iris v1")
        let remote = GitRemote(url: server.url(forRepository: "desired"))
        let cache = try server.makeScratchDirectory("cache").path
        let before = try await GitMirror(remote: remote, cacheDirectory: cache)
        #expect(await DesiredStateSource(mirror: before, logger: DeploymentsRepository.quiet).sync().desired != nil)

        let packs = URL(fileURLWithPath: before.path).appendingPathComponent("objects/pack")
        let packFiles = try FileManager.default.contentsOfDirectory(atPath: packs.path)
        #expect(!packFiles.isEmpty)
        for file in packFiles { try FileManager.default.removeItem(at: packs.appendingPathComponent(file)) }
        let next = try repository.commitAndPush(["deployments/iris.yaml": DeploymentsRepository.deployment("iris", version: "2")],
                                                message: "iris v2")

        let restarted = DesiredStateSource(mirror: try await GitMirror(remote: remote, cacheDirectory: cache), logger: DeploymentsRepository.quiet)
        let outcome = await restarted.sync()
        guard case .applied(let snapshot, _) = outcome else {
            Issue.record("expected the restarted source to rebuild the mirror and apply, got \(outcome)")
            return
        }
        #expect(snapshot.commit.hex == next)
        #expect(snapshot.decoding.state.deployments.first?.spec.model.version == "2")
    }
}

@Suite("Approvals committed to the desired branch")
struct ApprovalSourceTests {
    @Test func approvalFilesMergedToTheBranchApproveThatVersionOfThatModel() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("one model")
        let mirror = try await repository.mirror()
        let source = DesiredStateSource(mirror: mirror, configuration: .init(branch: "main", root: "deployments"),
                                        logger: DeploymentsRepository.quiet)
        let iris = DeploymentKey(namespace: "ml", name: "iris")
        #expect(await source.sync().desired?.approvals.versions(of: iris) == [])

        try repository.write("approvals/ml/iris/2", "approved after the offline evaluation\n")
        try repository.write("approvals/ml/fraud/7", "")
        try repository.write("approvals/README.md", "how to approve")
        try repository.commitAndPush("approve iris v2")
        let snapshot = await source.sync().desired
        #expect(snapshot?.approvals.versions(of: iris) == ["2"])
        #expect(snapshot?.approvals.versions(of: DeploymentKey(namespace: "ml", name: "fraud")) == ["7"])
        #expect(snapshot?.approvals.ignored == ["README.md"])

        try repository.remove("approvals/ml/iris/2")
        try repository.commitAndPush("withdraw the approval of iris v2")
        #expect(await source.sync().desired?.approvals.versions(of: iris) == [])
    }
}
