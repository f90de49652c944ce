import Foundation
import Testing
import TestSupport

/// The loopback Git servers of the test harness, exercised with the git CLI only:
/// they serve clones and pushes, enforce their authentication, and leave nothing behind.
@Suite(.timeLimit(.minutes(5)))
struct GitServerHarnessTests {
    // MARK: git://

    @Test func gitDaemonServesClonesAndPushesOverGitProtocol() async throws {
        let server = try await GitDaemonServer.start()
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["deployments/iris.yaml": "name: iris\n"], message: "Add iris")

        #expect(server.url(forRepository: "models") == "git://127.0.0.1:\(server.port)/models.git")
        try cloneCommitAndPush(server: server, git: server.git, url: server.url(forRepository: "models"), repository: repository, seeded: seeded)
    }

    // MARK: Smart HTTP

    @Test func smartHTTPWithCorrectPasswordClonesAndPushes() async throws {
        let server = try await SmartHTTPServer.start(username: "deployer", password: "p@ss word:1")
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["deployments/iris.yaml": "name: iris\n"], message: "Add iris")

        #expect(server.url(forRepository: "models") == "http://127.0.0.1:\(server.port)/git/models.git")
        try cloneCommitAndPush(server: server, git: server.git, url: server.authenticatedURL(forRepository: "models"), repository: repository, seeded: seeded)
    }

    @Test func smartHTTPWithWrongPasswordFailsWithAuthenticationError() async throws {
        let server = try await SmartHTTPServer.start(username: "deployer", password: "right")
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["a.yaml": "a\n"], message: "Add a")
        let wrongURL = server.url(forRepository: "models", username: "deployer", password: "wrong")

        let scratch = try server.makeScratchDirectory()
        let cloneFailure = #expect(throws: CommandFailure.self) {
            try server.git.run(["clone", "--quiet", wrongURL, scratch.appendingPathComponent("clone").path])
        }
        #expect(cloneFailure?.standardError.contains("Authentication failed") == true)

        // A push from a clone made with the right password, to the URL with the wrong one.
        let clone = scratch.appendingPathComponent("good-clone")
        try server.git.run(["clone", "--quiet", server.authenticatedURL(forRepository: "models"), clone.path])
        try Data("b\n".utf8).write(to: clone.appendingPathComponent("b.yaml"))
        try server.git.run(["add", "b.yaml"], in: clone)
        try server.git.run(["commit", "--quiet", "-m", "Add b"], in: clone)
        let pushFailure = #expect(throws: CommandFailure.self) {
            try server.git.run(["push", wrongURL, "HEAD:main"], in: clone)
        }
        #expect(pushFailure?.standardError.contains("Authentication failed") == true)
        #expect(try repository.resolve("main") == seeded)

        // The HTTP exchange underneath: 401 with a basic challenge without or with wrong credentials, 200 with the right ones.
        let advertisement = "/git/models.git/info/refs?service=git-receive-pack"
        let anonymous = try LoopbackHTTP.get(port: server.port, path: advertisement)
        #expect(anonymous.status == 401)
        #expect(anonymous.head.contains("WWW-Authenticate: Basic realm=\"\(SmartHTTPServer.realm)\""))
        #expect(try LoopbackHTTP.get(port: server.port, path: advertisement, username: "deployer", password: "wrong").status == 401)
        #expect(try LoopbackHTTP.get(port: server.port, path: advertisement, username: "intruder", password: "right").status == 401)
        #expect(try LoopbackHTTP.get(port: server.port, path: advertisement, username: "deployer", password: "right").status == 200)
        #expect(server.log.contains("password doesn't match"))
    }

    @Test func smartHTTPWithPushOnlyAuthenticationClonesAnonymouslyButRefusesAnonymousPushes() async throws {
        let server = try await SmartHTTPServer.start(username: "deployer", password: "right", authenticationScope: .pushOnly)
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["a.yaml": "a\n"], message: "Add a")

        let clone = try server.makeScratchDirectory().appendingPathComponent("clone")
        try server.git.run(["clone", "--quiet", server.url(forRepository: "models"), clone.path])
        #expect(try server.git.line(["rev-parse", "HEAD"], in: clone) == seeded)

        try server.git.run(["commit", "--quiet", "--allow-empty", "-m", "Empty"], in: clone)
        let anonymousPush = #expect(throws: CommandFailure.self) {
            try server.git.run(["push", "origin", "HEAD:main"], in: clone)
        }
        #expect(anonymousPush?.standardError.contains("could not read Username") == true)
        try server.git.run(["push", "--quiet", server.authenticatedURL(forRepository: "models"), "HEAD:main"], in: clone)
        #expect(try repository.resolve("main") == server.git.line(["rev-parse", "HEAD"], in: clone))
    }

    // MARK: SSH

    @Test func sshWithMatchingKnownHostsClonesAndPushes() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["deployments/iris.yaml": "name: iris\n"], message: "Add iris")

        #expect(server.url(forRepository: "models") == "ssh://\(server.user)@127.0.0.1:\(server.port)\(server.repositoriesRoot.path)/models.git")
        #expect(server.knownHostsLine.hasPrefix("[127.0.0.1]:\(server.port) ssh-ed25519 AAAA"))
        try cloneCommitAndPush(server: server, git: server.git, url: server.url(forRepository: "models"), repository: repository, seeded: seeded)
        #expect(server.log.contains("Accepted publickey for \(server.user)"))
    }

    @Test func sshWithWrongHostKeyFailsHostKeyVerification() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try server.makeBareRepository(named: "models")
        let wrongLine = try server.wrongKnownHostsLine()
        #expect(wrongLine.hasPrefix("[127.0.0.1]:\(server.port) ssh-ed25519 "))
        #expect(wrongLine != server.knownHostsLine)

        let git = server.git(knownHostsFile: try server.writeKnownHostsFile(wrongLine))
        let failure = #expect(throws: CommandFailure.self) {
            try git.run(["ls-remote", server.url(forRepository: "models")])
        }
        #expect(failure?.standardError.contains("Host key verification failed") == true)
        #expect(failure?.standardError.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") == true)
    }

    @Test func sshWithUnknownHostFailsHostKeyVerification() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try server.makeBareRepository(named: "models")
        let git = server.git(knownHostsFile: try server.writeKnownHostsFile(""))
        let failure = #expect(throws: CommandFailure.self) {
            try git.run(["ls-remote", server.url(forRepository: "models")])
        }
        #expect(failure?.standardError.contains("Host key verification failed") == true)
    }

    @Test func sshWithHashedKnownHostsClonesAndPushes() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["a.yaml": "a\n"], message: "Add a")

        let hashed = try server.hashedKnownHostsLine()
        #expect(hashed.hasPrefix("|1|"))
        #expect(!hashed.contains("127.0.0.1"))
        #expect(hashed.hasSuffix(server.hostKey.publicKeyEntry))
        let git = server.git(knownHostsFile: try server.writeKnownHostsFile(hashed))
        try cloneCommitAndPush(server: server, git: git, url: server.url(forRepository: "models"), repository: repository, seeded: seeded)
    }

    @Test func sshWithRSAClientKeyAndRSAHostKeyClonesAndPushes() async throws {
        let server = try await SSHGitServer.start(hostKeyType: .rsa, includeRSAClientKey: true)
        defer { server.stop() }
        let rsaKey = try #require(server.rsaClientKey)
        #expect(rsaKey.publicKeyEntry.hasPrefix("ssh-rsa AAAA"))
        #expect(server.knownHostsLine.hasPrefix("[127.0.0.1]:\(server.port) ssh-rsa AAAA"))
        let repository = try server.makeBareRepository(named: "models")
        let seeded = try repository.commitAndPush(["a.yaml": "a\n"], message: "Add a")

        let git = server.git(identity: rsaKey.privateKey)
        try cloneCommitAndPush(server: server, git: git, url: server.url(forRepository: "models"), repository: repository, seeded: seeded)
        #expect(server.log.contains("Accepted publickey for \(server.user) from 127.0.0.1 port") && server.log.contains("RSA SHA256:"))
    }

    @Test func sshWithUnauthorizedKeyIsDenied() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        _ = try server.makeBareRepository(named: "models")
        let stranger = try server.makeUnauthorizedClientKey()
        let failure = #expect(throws: CommandFailure.self) {
            try server.git(identity: stranger.privateKey).run(["ls-remote", server.url(forRepository: "models")])
        }
        #expect(failure?.standardError.contains("Permission denied (publickey)") == true)
    }

    @Test func sshSessionsCanOnlyRunGitShellCommands() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        let output = try Command.output(
            "/bin/sh", ["-c", "\(server.sshCommand()) \(server.user)@127.0.0.1 id"],
            environment: Command.plainEnvironment(home: server.git.homeDirectory))
        #expect(output.status != 0)
        #expect(output.standardError.contains("unrecognized command 'id'"))
        #expect(!output.standardOutput.contains("uid="))
    }

    @Test func sshHostKeyFingerprintIsOpenSSHsSHA256() async throws {
        let server = try await SSHGitServer.start()
        defer { server.stop() }
        let fingerprint = try server.hostKeyFingerprintSHA256()
        #expect(fingerprint.hasPrefix("SHA256:"))
        #expect(fingerprint.count == "SHA256:".count + 43)
        #expect(server.hostKey.publicKeyData.count == 51)  // string "ssh-ed25519" + 32-byte key, each length-prefixed
    }

    // MARK: Lifecycle

    enum ServerKind: String, CaseIterable, Sendable {
        case gitDaemon, smartHTTP, ssh

        func start() async throws -> any GitServer {
            switch self {
            case .gitDaemon: try await GitDaemonServer.start()
            case .smartHTTP: try await SmartHTTPServer.start()
            case .ssh: try await SSHGitServer.start()
            }
        }

        func cloneURL(_ server: any GitServer, _ name: String) -> String {
            (server as? SmartHTTPServer)?.authenticatedURL(forRepository: name) ?? server.url(forRepository: name)
        }
    }

    @Test(arguments: ServerKind.allCases)
    func serverLeavesNoProcessOrDirectoryBehindAfterStop(kind: ServerKind) async throws {
        let server = try await kind.start()
        let pid = server.processIdentifier
        let directory = server.temporaryDirectory
        #expect(ProcessTree.exists(pid))
        #expect(pgrep(["-g", String(pid)]).contains(pid))

        // Serve a clone, so that the server has forked children for a connection.
        let repository = try server.makeBareRepository(named: "models")
        try repository.commitAndPush(["a.yaml": "a\n"], message: "Add a")
        try server.git.run(["clone", "--quiet", kind.cloneURL(server, "models"), try server.makeScratchDirectory().appendingPathComponent("clone").path])

        server.stop()
        #expect(!ProcessTree.exists(pid))
        #expect(pgrep(["-g", String(pid)]).isEmpty)
        #expect(pgrep(["-f", directory.path]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        #expect(!LoopbackPort.isAccepting(server.port))
        server.stop()  // a second stop is harmless
    }

    @Test(arguments: ServerKind.allCases)
    func serverStoppedWhileAClientIsConnectedLeavesNoProcessBehind(kind: ServerKind) async throws {
        let server = try await kind.start()
        let pid = server.processIdentifier
        // A connection that says nothing: git daemon and sshd fork a child for it and keep it waiting.
        let connection = try LoopbackPort.connectSocket(server.port)
        defer { close(connection) }
        if kind != .smartHTTP {
            #expect(ChildProcess.waitUntil(.now + .seconds(10)) { !ProcessTree.descendants(of: pid).isEmpty })
        }
        let children = ProcessTree.descendants(of: pid)

        server.stop()
        #expect(!ProcessTree.exists(pid))
        for child in children {
            #expect(!ProcessTree.exists(child), "child \(child) of the \(kind) server is left (perhaps as a zombie)")
        }
        #expect(pgrep(["-g", String(pid)]).isEmpty)
        #expect(pgrep(["-f", server.temporaryDirectory.path]).isEmpty)
    }

    @Test func sshServerStoppedDuringAGitSessionLeavesNoProcessBehind() async throws {
        let server = try await SSHGitServer.start()
        let pid = server.processIdentifier
        let repository = try server.makeBareRepository(named: "models")
        try repository.commitAndPush(["a.yaml": "a\n"], message: "Add a")
        // upload-pack advertises the refs, then waits for the client's wants, which never come.
        let client = try ChildProcess.spawn(
            "/bin/sh", ["-c", "sleep 30 | \(server.sshCommand()) \(server.user)@127.0.0.1 \"git-upload-pack '\(repository.path.path)'\""],
            environment: Command.plainEnvironment(home: server.git.homeDirectory), standardOutput: 2, standardError: 2)
        defer { client.terminateTree() }
        let sessionStarted = ChildProcess.waitUntil(.now + .seconds(10)) {
            ProcessTree.descendants(of: pid).contains { child in
                ((try? String(contentsOfFile: "/proc/\(child)/cmdline", encoding: .utf8)) ?? "").contains("upload-pack")
            }
        }
        #expect(sessionStarted, "no upload-pack under sshd; its log:\n\(server.log)")
        let children = ProcessTree.descendants(of: pid)
        #expect(children.count >= 2)

        server.stop()
        #expect(!ProcessTree.exists(pid))
        for child in children {
            #expect(!ProcessTree.exists(child), "child \(child) of sshd is left (perhaps as a zombie)")
        }
        client.terminateTree()  // its ssh command line names the server's directory too
        #expect(pgrep(["-f", server.temporaryDirectory.path]).isEmpty)
    }

    @Test func serverStoppedByDeinitLeavesNoProcessBehind() async throws {
        var server: GitDaemonServer? = try await GitDaemonServer.start()
        let pid = try #require(server?.processIdentifier)
        let directory = try #require(server?.temporaryDirectory)
        #expect(ProcessTree.exists(pid))
        server = nil
        #expect(!ProcessTree.exists(pid))
        #expect(pgrep(["-f", directory.path]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func serversStartedConcurrentlyGetDistinctPortsAndDirectories() async throws {
        async let daemons = [GitDaemonServer.start(), GitDaemonServer.start(), GitDaemonServer.start()]
        async let http = [SmartHTTPServer.start(), SmartHTTPServer.start()]
        async let ssh = [SSHGitServer.start(), SSHGitServer.start()]
        let servers: [any GitServer] = try await daemons + http + ssh
        defer { servers.forEach { $0.stop() } }

        #expect(Set(servers.map(\.port)).count == servers.count)
        #expect(Set(servers.map(\.temporaryDirectory)).count == servers.count)
        for server in servers {
            #expect(LoopbackPort.isAccepting(server.port))
        }
    }

    // MARK: Fixture and git CLI

    @Test func fixtureCommitsWithFixedAuthorCommitterAndDate() async throws {
        let server = try await GitDaemonServer.start()
        defer { server.stop() }
        let first = try server.makeBareRepository(named: "first")
        let second = try server.makeBareRepository(named: "second")
        let one = try first.commitAndPush(["a.yaml": "a\n", "dir/b.yaml": "b\n"], message: "Seed")
        let two = try second.commitAndPush(["dir/b.yaml": "b\n", "a.yaml": "a\n"], message: "Seed")

        #expect(one == two)  // same tree, message, author and dates: the same commit
        #expect(try first.resolve("main") == one)
        let identity = try first.runInBareRepository(["log", "-1", "--format=%an <%ae> %aI|%cn <%ce> %cI"])
        #expect(identity == "Serin Test <serin-test@example.invalid> 2025-01-01T12:00:00+00:00|Serin Test <serin-test@example.invalid> 2025-01-01T12:00:00+00:00\n")

        let later = try first.commitAndPush(["c.yaml": "c\n"], message: "Later", date: "2025-02-01T08:30:00+00:00")
        #expect(try first.runInBareRepository(["log", "-1", "--format=%cI", later]) == "2025-02-01T08:30:00+00:00\n")
        #expect(try first.runInBareRepository(["rev-list", "--count", "main"]) == "2\n")
        #expect(try first.runInBareRepository(["symbolic-ref", "HEAD"]) == "refs/heads/main\n")
    }

    @Test func gitCLIFailureCarriesStandardErrorAndStatus() async throws {
        let server = try await GitDaemonServer.start()
        defer { server.stop() }
        let repository = try server.makeBareRepository(named: "models")
        let failure = #expect(throws: CommandFailure.self) {
            try repository.runInBareRepository(["rev-parse", "--verify", "no-such-branch"])
        }
        #expect(failure?.status == 128)
        #expect(failure?.standardError.contains("fatal: Needed a single revision") == true)
        #expect(failure?.timedOut == false)
    }

    @Test func gitCLITimeoutKillsTheCommand() async throws {
        let home = try TemporaryDirectory(prefix: "serin-git-cli")
        let git = GitCLI(homeDirectory: home.url)
        let started = ContinuousClock.now
        let failure = #expect(throws: CommandFailure.self) {
            // `git -c alias.x='!sleep 30' x` runs sleep through a shell: a process tree to kill.
            try git.run(["-c", "alias.wait=!sleep 30", "wait"], timeout: .milliseconds(300))
        }
        #expect(failure?.timedOut == true)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}

// MARK: - Helpers

/// Clones `url` with `git`, checks the clone holds `seeded`, commits a file and pushes it back,
/// then checks that the server's bare repository has the new commit on main.
private func cloneCommitAndPush(
    server: any GitServer, git: GitCLI, url: String, repository: BareRepositoryFixture, seeded: String
) throws {
    let clone = try server.makeScratchDirectory().appendingPathComponent("clone")
    try git.run(["clone", "--quiet", url, clone.path])
    #expect(try git.line(["rev-parse", "HEAD"], in: clone) == seeded)

    try Data("pushed: true\n".utf8).write(to: clone.appendingPathComponent("pushed.yaml"))
    try git.run(["add", "pushed.yaml"], in: clone)
    try git.run(["commit", "--quiet", "-m", "Push from a clone"], in: clone)
    let pushed = try git.line(["rev-parse", "HEAD"], in: clone)
    try git.run(["push", "--quiet", "origin", "HEAD:main"], in: clone)

    #expect(try repository.resolve("main") == pushed)
    #expect(try repository.runInBareRepository(["show", "main:pushed.yaml"]) == "pushed: true\n")
}

/// The pids `pgrep` lists for these arguments (none when it finds nothing).
private func pgrep(_ arguments: [String]) -> [pid_t] {
    guard let output = try? Command.output("/usr/bin/pgrep", arguments, environment: ["PATH": Command.searchPath]) else {
        return [-1]
    }
    return output.standardOutput.split(separator: "\n").compactMap { pid_t($0) }
}
