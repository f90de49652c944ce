import Foundation
import Logging
import SerinCore
import SerinGit
import Testing

/// Serin's libgit2 client against real servers on loopback: git daemon, smart HTTP behind basic auth, and sshd with
/// host-key verification. Each test starts its own server.
@Suite("Remotes over the network")
struct RemoteTransportTests {
    static let quiet = DeploymentsRepository.quiet

    private func seed(_ server: some GitServer) throws -> BareRepositoryFixture {
        let repository = try server.makeBareRepository(named: "desired")
        _ = try repository.commitAndPush(["deployments/iris.yaml": DeploymentsRepository.deployment("iris")], message: "iris v1")
        return repository
    }

    private func sync(_ remote: GitRemote, cache: URL) async throws -> SyncOutcome {
        let mirror = try await GitMirror(remote: remote, cacheDirectory: cache.path)
        return await DesiredStateSource(mirror: mirror, logger: Self.quiet).sync()
    }

    private func ledger(_ remote: GitRemote, cache: URL) async throws -> LedgerWriter {
        LedgerWriter(mirror: try await GitMirror(remote: remote, cacheDirectory: cache.path), logger: Self.quiet)
    }

    private static let record = LedgerRecord(path: "status/ml/iris.yaml", content: Array("phase: Progressing\n".utf8),
                                             message: "ml/iris: Progressing 10% (v2)\n", time: 1_780_000_000)

    // MARK: git://

    @Test func gitDaemonServesSyncAndLedgerPushes() async throws {
        let server = try await GitDaemonServer.start()
        defer { server.stop() }
        let repository = try seed(server)
        let remote = GitRemote(url: server.url(forRepository: "desired"))
        let outcome = try await sync(remote, cache: try server.makeScratchDirectory("cache"))
        #expect(outcome.desired?.decoding.state.deployments.map(\.metadata.name) == ["iris"])

        let written = try await ledger(remote, cache: try server.makeScratchDirectory("ledger")).write(Self.record)
        #expect(written.commit != nil)
        #expect(try repository.runInBareRepository(["log", "--format=%s", "serin/status"]) == "ml/iris: Progressing 10% (v2)\n")
    }

    @Test func aFileURLRemoteSyncs() async throws {
        let repository = try DeploymentsRepository()
        try repository.write("deployments/iris.yaml", DeploymentsRepository.deployment("iris"))
        try repository.commitAndPush("v1")
        let outcome = try await sync(GitRemote(url: "file://" + repository.bare.path), cache: repository.directory.url.appendingPathComponent("cache"))
        #expect(outcome.desired?.decoding.state.entries.count == 1)
    }

    @Test func aClosedPortFailsWithTheAddressInTheError() async throws {
        let server = try await GitDaemonServer.start()
        let url = server.url(forRepository: "desired")
        let cache = try server.makeScratchDirectory("cache")
        server.stop()
        guard case .failed(let error, nil) = try await sync(GitRemote(url: url), cache: cache) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.description.hasPrefix("could not fetch refs/heads/main from \(url): "))
    }

    /// The race of the ledger tests, over git:// so that the remote's receive-pack arbitrates concurrent pushes.
    @Test(.timeLimit(.minutes(5)))
    func twoHundredTransitionsRaceFiftyForeignPushesOverGitDaemon() async throws {
        let server = try await GitDaemonServer.start()
        defer { server.stop() }
        let repository = try seed(server)
        let remote = GitRemote(url: server.url(forRepository: "desired"))
        let writer = try await ledger(remote, cache: try server.makeScratchDirectory("ledger"))
        let key = DeploymentKey(namespace: "ml", name: "iris")
        func record(_ index: Int) -> LedgerRecord {
            LedgerRecord(status: RolloutStatus(
                key: key, phase: .Progressing, stableVersion: "1", canaryVersion: "2", canaryWeight: index % 101, stepIndex: index,
                desiredCommit: String(repeating: "d", count: 40), reason: "transition \(index)",
                startedAt: Timestamp(secondsSinceEpoch: 1_780_000_000), updatedAt: Timestamp(secondsSinceEpoch: 1_780_000_000 + Int64(index))))
        }
        _ = try await writer.write(record(0))
        _ = try repository.runInWorkTree(["fetch", "--quiet", "origin", "serin/status"])
        _ = try repository.runInWorkTree(["checkout", "--quiet", "-B", "status", "FETCH_HEAD"])

        async let foreign: Int = Task.detached {
            for index in 0..<50 {
                try repository.write("notes/\(index).txt", "note \(index)\n")
                _ = try repository.runInWorkTree(["add", "-A"])
                _ = try repository.runInWorkTree(["commit", "--quiet", "-m", "foreign \(index)"])
                while (try? repository.runInWorkTree(["push", "--quiet", "origin", "HEAD:refs/heads/serin/status"])) == nil {
                    _ = try repository.runInWorkTree(["pull", "--quiet", "--rebase", "origin", "serin/status"])
                }
            }
            return 50
        }.value
        for index in 1...199 { _ = try await writer.write(record(index)) }
        #expect(try await foreign == 50)

        let subjects = try repository.runInBareRepository(["log", "--format=%s", "--reverse", "serin/status"])
            .split(separator: "\n").map(String.init)
        #expect(subjects.count == 250)
        #expect(subjects.filter { $0.hasPrefix("ml/iris") } == (0...199).map { "ml/iris: Progressing \($0 % 101)% (v2)" })
        #expect(subjects.filter { $0.hasPrefix("foreign") }.count == 50)
        #expect(try repository.runInBareRepository(["rev-list", "--merges", "serin/status"]).isEmpty)
        // The ledger reads back as the model's whole timeline, in order.
        let history = try await LedgerReader(mirror: try await GitMirror(remote: remote, cacheDirectory: try server.makeScratchDirectory("reader").path),
                                             logger: Self.quiet).history(of: key)
        #expect(history.map(\.message) == (0...199).map { "transition \($0)" })
        #expect(history.map(\.time.secondsSinceEpoch) == (0...199).map { 1_780_000_000 + Int64($0) })
    }

    // MARK: smart HTTP

    @Test func httpWithTheRightPasswordSyncsAndPushes() async throws {
        let server = try await SmartHTTPServer.start(username: "serin", password: "correct-horse")
        defer { server.stop() }
        let repository = try seed(server)
        let secret = try server.makeScratchDirectory("secrets").appendingPathComponent("password")
        try Data("correct-horse\n".utf8).write(to: secret)
        let remote = GitRemote(url: server.url(forRepository: "desired"),
                               credentials: .basic(username: "serin", password: .file(secret.path)))
        let outcome = try await sync(remote, cache: try server.makeScratchDirectory("cache"))
        #expect(outcome.desired?.decoding.state.entries.count == 1)
        _ = try await ledger(remote, cache: try server.makeScratchDirectory("ledger")).write(Self.record)
        #expect(try repository.runInBareRepository(["log", "--format=%s", "serin/status"]) == "ml/iris: Progressing 10% (v2)\n")
    }

    @Test func httpWithAWrongPasswordFailsAsAnAuthenticationError() async throws {
        let server = try await SmartHTTPServer.start(username: "serin", password: "correct-horse")
        defer { server.stop() }
        _ = try seed(server)
        let remote = GitRemote(url: server.url(forRepository: "desired"),
                               credentials: .basic(username: "serin", password: .environment("SERIN_TEST_WRONG_PASSWORD_UNSET")))
        guard case .failed(let error, _) = try await sync(remote, cache: try server.makeScratchDirectory("cache")) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .authentication)
        #expect(error.description.contains("the environment variable SERIN_TEST_WRONG_PASSWORD_UNSET is not set"))
    }

    @Test func httpRefusingThePasswordFailsAfterOneAttempt() async throws {
        let server = try await SmartHTTPServer.start(username: "serin", password: "correct-horse")
        defer { server.stop() }
        _ = try seed(server)
        let secret = try server.makeScratchDirectory("secrets").appendingPathComponent("password")
        try Data("wrong-horse".utf8).write(to: secret)
        let remote = GitRemote(url: server.url(forRepository: "desired"),
                               credentials: .basic(username: "serin", password: .file(secret.path)))
        guard case .failed(let error, _) = try await sync(remote, cache: try server.makeScratchDirectory("cache")) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .authentication)
        #expect(error.description.contains("the remote refused the username and password for serin"))
        #expect(!error.description.contains("wrong-horse"))
    }

    /// The password is read from its file at every sync: a wrong one fails that sync with the last good state kept,
    /// and the right one, put back, is picked up without a restart.
    @Test func aWrongPasswordKeepsTheLastGoodStateUntilTheRightOneIsBack() async throws {
        let server = try await SmartHTTPServer.start(username: "serin", password: "correct-horse")
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "desired")
        let good = try repository.commitAndPush(["deployments/iris.yaml": DeploymentsRepository.deployment("iris")], message: "iris v1")
        let secret = try server.makeScratchDirectory("secrets").appendingPathComponent("password")
        try Data("correct-horse\n".utf8).write(to: secret)
        let remote = GitRemote(url: server.url(forRepository: "desired"),
                               credentials: .basic(username: "serin", password: .file(secret.path)))
        let source = DesiredStateSource(mirror: try await GitMirror(remote: remote, cacheDirectory: try server.makeScratchDirectory("cache").path),
                                        logger: Self.quiet)
        #expect(await source.sync().desired?.commit.hex == good)

        let next = try repository.commitAndPush(["deployments/iris.yaml": DeploymentsRepository.deployment("iris", version: "2")],
                                                message: "iris v2")
        try Data("battery-staple\n".utf8).write(to: secret)
        guard case .failed(let error, let lastGood) = await source.sync() else {
            Issue.record("expected the wrong password to fail the sync")
            return
        }
        #expect(error.kind == .authentication)
        #expect(error.description.contains("the remote refused the username and password for serin"))
        #expect(lastGood?.commit.hex == good)
        #expect(lastGood?.decoding.state.deployments.first?.spec.model.version == "1")

        try Data("correct-horse\n".utf8).write(to: secret)
        let recovered = await source.sync()
        #expect(recovered.desired?.commit.hex == next)
        #expect(recovered.desired?.decoding.state.deployments.first?.spec.model.version == "2")
    }

    @Test func httpWithoutCredentialsSaysNoneAreConfigured() async throws {
        let server = try await SmartHTTPServer.start()
        defer { server.stop() }
        _ = try seed(server)
        guard case .failed(let error, _) = try await sync(GitRemote(url: server.url(forRepository: "desired")),
                                                          cache: try server.makeScratchDirectory("cache")) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .authentication)
        #expect(error.description.contains("none are configured"))
    }

    // MARK: SSH

    private func sshRemote(_ server: SSHGitServer, knownHosts: String, policy: HostKeyVerifier.Policy = .strict) -> GitRemote {
        GitRemote(url: server.url(forRepository: "desired"),
                  credentials: .sshKey(username: server.user, privateKey: server.clientKey.privateKey.path,
                                       publicKey: server.clientKey.publicKey.path, passphrase: nil),
                  knownHosts: KnownHosts(parsing: knownHosts), hostKeyPolicy: policy)
    }

    @Test func sshWithAKnownHostKeySyncsAndPushes() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        let repository = try seed(server)
        let remote = sshRemote(server, knownHosts: server.knownHostsLine)
        let outcome = try await sync(remote, cache: try server.makeScratchDirectory("cache"))
        #expect(outcome.desired?.decoding.state.entries.count == 1, "\(outcome)")
        _ = try await ledger(remote, cache: try server.makeScratchDirectory("ledger")).write(Self.record)
        #expect(try repository.runInBareRepository(["log", "--format=%s", "serin/status"]) == "ml/iris: Progressing 10% (v2)\n")
    }

    /// The scp-like form, in its bracketed shape that carries the port: known_hosts is looked up for that port, so
    /// the strict default accepts the server only through its `[127.0.0.1]:PORT` entry.
    @Test func anScpLikeAddressSyncsAndPushesWithKnownHostsChecked() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        let repository = try seed(server)
        let address = server.scpLikeAddress(forRepository: "desired")
        #expect(!address.contains("://"))
        let remote = GitRemote(url: address,
                               credentials: .sshKey(username: server.user, privateKey: server.clientKey.privateKey.path,
                                                    publicKey: server.clientKey.publicKey.path, passphrase: nil),
                               knownHosts: KnownHosts(parsing: server.knownHostsLine))
        let outcome = try await sync(remote, cache: try server.makeScratchDirectory("cache"))
        #expect(outcome.desired?.decoding.state.entries.count == 1, "\(outcome)")
        _ = try await ledger(remote, cache: try server.makeScratchDirectory("ledger")).write(Self.record)
        #expect(try repository.runInBareRepository(["log", "--format=%s", "serin/status"]) == "ml/iris: Progressing 10% (v2)\n")

        let impostor = GitRemote(url: address, credentials: remote.credentials,
                                 knownHosts: KnownHosts(parsing: try server.wrongKnownHostsLine()))
        guard case .failed(let error, _) = try await sync(impostor, cache: try server.makeScratchDirectory("impostor")) else {
            Issue.record("expected a changed host key to be refused")
            return
        }
        #expect(error.kind == .hostKey)
    }

    @Test func sshWithAHashedKnownHostsEntrySyncs() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try seed(server)
        let outcome = try await sync(sshRemote(server, knownHosts: try server.hashedKnownHostsLine()),
                                     cache: try server.makeScratchDirectory("cache"))
        #expect(outcome.desired?.decoding.state.entries.count == 1, "\(outcome)")
    }

    @Test func sshWithAChangedHostKeyIsRefused() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try seed(server)
        guard case .failed(let error, _) = try await sync(sshRemote(server, knownHosts: try server.wrongKnownHostsLine()),
                                                          cache: try server.makeScratchDirectory("cache")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.kind == .hostKey)
        #expect(error.description.contains("does not match known_hosts"))
        #expect(error.description.contains(try server.hostKeyFingerprintSHA256().replacingOccurrences(of: "SHA256:", with: "")))
    }

    @Test func sshToAnUnknownHostIsRefusedUnlessExplicitlyAllowed() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try seed(server)
        guard case .failed(let error, _) = try await sync(sshRemote(server, knownHosts: ""), cache: try server.makeScratchDirectory("a")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.kind == .hostKey)
        #expect(error.description.contains("is not in known_hosts"))

        let allowed = try await sync(sshRemote(server, knownHosts: "", policy: .acceptUnknownHosts), cache: try server.makeScratchDirectory("b"))
        #expect(allowed.desired?.decoding.state.entries.count == 1)
        // A listed host with another key stays refused even then.
        let changed = try await sync(sshRemote(server, knownHosts: try server.wrongKnownHostsLine(), policy: .acceptUnknownHosts),
                                     cache: try server.makeScratchDirectory("c"))
        guard case .failed(let changedError, _) = changed else {
            Issue.record("expected a refusal")
            return
        }
        #expect(changedError.kind == .hostKey)
    }

    @Test func sshWithAnUnauthorisedKeyFailsAsAnAuthenticationError() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try seed(server)
        let stranger = try server.makeUnauthorizedClientKey(.ed25519)
        let remote = GitRemote(url: server.url(forRepository: "desired"),
                               credentials: .sshKey(username: server.user, privateKey: stranger.privateKey.path,
                                                    publicKey: stranger.publicKey.path, passphrase: nil),
                               knownHosts: KnownHosts(parsing: server.knownHostsLine))
        guard case .failed(let error, _) = try await sync(remote, cache: try server.makeScratchDirectory("cache")) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .authentication, "\(error)")
    }
}

/// HTTPS through libgit2's TLS verification. One test only: the trusted CA list is process-wide, so the refusal
/// before trusting the test CA and the success after it run in order.
@Suite("HTTPS remotes", .serialized)
struct HTTPSRemoteTests {
    @Test func anUntrustedCertificateIsRefusedAndAPrivateCertificateAuthorityCanBeTrusted() async throws {
        let server = try await SmartHTTPServer.start(username: "serin", password: "correct-horse", tls: true)
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "desired")
        _ = try repository.commitAndPush(["deployments/iris.yaml": DeploymentsRepository.deployment("iris")], message: "iris v1")
        let secret = try server.makeScratchDirectory("secrets").appendingPathComponent("password")
        try Data("correct-horse".utf8).write(to: secret)
        let remote = GitRemote(url: server.url(forRepository: "desired"),
                               credentials: .basic(username: "serin", password: .file(secret.path)))
        #expect(remote.url.hasPrefix("https://127.0.0.1:"))

        let refused = await DesiredStateSource(mirror: try await GitMirror(remote: remote, cacheDirectory: try server.makeScratchDirectory("a").path),
                                               logger: RemoteTransportTests.quiet).sync()
        guard case .failed(let error, _) = refused else {
            Issue.record("expected the self-signed chain to be refused, got \(refused)")
            return
        }
        #expect(error.kind == .certificate || error.description.lowercased().contains("certificate"), "\(error)")

        let authority = try #require(server.certificateAuthority)
        try GitLibrary.shared.trustCertificateAuthorities(in: authority.path,
                                                          bundle: try server.makeScratchDirectory("ca").appendingPathComponent("bundle.pem").path)
        let accepted = await DesiredStateSource(mirror: try await GitMirror(remote: remote, cacheDirectory: try server.makeScratchDirectory("b").path),
                                                logger: RemoteTransportTests.quiet).sync()
        #expect(accepted.desired?.decoding.state.entries.count == 1, "\(accepted)")
    }
}
