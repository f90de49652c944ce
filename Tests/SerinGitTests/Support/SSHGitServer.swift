import Foundation
import Synchronization
import TestSupport

/// Debian's OpenSSH server on 127.0.0.1 (`sshd -D -e -f <config>`, not a daemon), for Git over ssh://.
///
/// It has a throwaway host key, accepts only public keys listed in an authorized_keys file the harness writes
/// (the ed25519 `clientKey`, and `rsaClientKey` when asked for), and runs every session through `git-shell`,
/// so only git-upload-pack, git-receive-pack and git-upload-archive can run. The login user is the current
/// user (root in CI; `PermitRootLogin prohibit-password`, `StrictModes no`).
///
///     let server = try await SSHGitServer.start()
///     defer { server.stop() }
///     server.url(forRepository: "models")   // ssh://root@127.0.0.1:PORT/tmp/serin-ssh.XXXXXX/repos/models.git
///     server.knownHostsLine                 // [127.0.0.1]:PORT ssh-ed25519 AAAA...
///     server.git                            // git with GIT_SSH_COMMAND using clientKey and knownHostsFile
final class SSHGitServer: GitServer {
    static let executable = "/usr/sbin/sshd"
    /// sshd's privilege separation directory, which must exist (Debian's service unit creates it; we are not a unit).
    static let privilegeSeparationDirectory = "/run/sshd"

    let port: UInt16
    let repositoriesRoot: URL
    /// The user in the URLs, the only user allowed to log in.
    let user: String
    /// The server's host key (its private half is the server's).
    let hostKey: SSHKeyPair
    /// The authorized ed25519 client key.
    let clientKey: SSHKeyPair
    /// An authorized RSA (3072-bit) client key, when `start(includeRSAClientKey: true)`.
    let rsaClientKey: SSHKeyPair?
    /// The known_hosts entry for this server: "[127.0.0.1]:PORT <algorithm> <base64>".
    let knownHostsLine: String
    /// A file holding `knownHostsLine`.
    let knownHostsFile: URL
    /// The git CLI whose GIT_SSH_COMMAND uses `clientKey` and `knownHostsFile`.
    let git: GitCLI
    private let directory: TemporaryDirectory
    private let keyDirectory: URL
    private let process: ServerProcess
    private let fileCounter = Mutex(0)

    private init(
        port: UInt16, repositoriesRoot: URL, user: String, hostKey: SSHKeyPair, clientKey: SSHKeyPair,
        rsaClientKey: SSHKeyPair?, knownHostsFile: URL, home: URL, directory: TemporaryDirectory,
        keyDirectory: URL, process: ServerProcess
    ) {
        self.port = port
        self.repositoriesRoot = repositoriesRoot
        self.user = user
        self.hostKey = hostKey
        self.clientKey = clientKey
        self.rsaClientKey = rsaClientKey
        self.knownHostsLine = Self.knownHostsEntry(port: port, key: hostKey)
        self.knownHostsFile = knownHostsFile
        self.directory = directory
        self.keyDirectory = keyDirectory
        self.process = process
        self.git = GitCLI(homeDirectory: home, environment: [
            "GIT_SSH_COMMAND": Self.sshCommand(port: port, identity: clientKey.privateKey, knownHostsFile: knownHostsFile)
        ])
    }

    /// Starts sshd on a free loopback port and returns once it accepts connections.
    /// `hostKeyType` is the type of the host key (and so of the known_hosts entries).
    static func start(hostKeyType: SSHKeyType = .ed25519, includeRSAClientKey: Bool = false) async throws -> SSHGitServer {
        let directory = try TemporaryDirectory(prefix: "serin-ssh")
        let repositoriesRoot = try directory.subdirectory("repos")
        let home = try directory.subdirectory("home")
        let serverHome = try directory.subdirectory("server-home")
        let keyDirectory = try directory.subdirectory("keys")
        let user = try currentUserName()
        try makePrivilegeSeparationDirectory()

        let hostKey = try SSHKeyPair.generate(hostKeyType, at: keyDirectory.appendingPathComponent("host_key"), comment: "")
        let clientKey = try SSHKeyPair.generate(.ed25519, at: keyDirectory.appendingPathComponent("client_ed25519"), comment: "serin-test-ed25519")
        let rsaClientKey = try includeRSAClientKey
            ? SSHKeyPair.generate(.rsa, at: keyDirectory.appendingPathComponent("client_rsa"), comment: "serin-test-rsa")
            : nil

        // Every session runs git-shell with the client's requested command, in an isolated environment.
        let forcedCommand = "env HOME=\(serverHome.path) GIT_CONFIG_NOSYSTEM=1 PATH=\(Command.searchPath) git-shell -c \\\"$SSH_ORIGINAL_COMMAND\\\""
        let authorizedKeys = [clientKey, rsaClientKey].compactMap { $0 }
            .map { "restrict,command=\"\(forcedCommand)\" \($0.publicKeyEntry)\n" }
            .joined()
        let authorizedKeysFile = keyDirectory.appendingPathComponent("authorized_keys")
        try Data(authorizedKeys.utf8).write(to: authorizedKeysFile)

        let configurationFile = directory.url.appendingPathComponent("sshd_config")
        let (port, process) = try await ServerProcess.startListening(name: "sshd") { port in
            let configuration = """
                Port \(port)
                ListenAddress \(LoopbackPort.host)
                HostKey \(hostKey.privateKey.path)
                PidFile none
                AuthorizedKeysFile \(authorizedKeysFile.path)
                AuthorizedKeysCommand none
                AuthenticationMethods publickey
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                HostbasedAuthentication no
                PermitRootLogin prohibit-password
                PermitEmptyPasswords no
                StrictModes no
                UsePAM no
                AllowUsers \(user)
                AllowTcpForwarding no
                AllowAgentForwarding no
                AllowStreamLocalForwarding no
                X11Forwarding no
                PermitTunnel no
                PermitTTY no
                PermitUserRC no
                PermitUserEnvironment no
                PrintMotd no
                UseDNS no
                LogLevel VERBOSE

                """
            try Data(configuration.utf8).write(to: configurationFile)
            return try ServerProcess.launch(
                name: "sshd",
                executable: executable,
                arguments: ["-D", "-e", "-f", configurationFile.path],
                environment: Command.plainEnvironment(home: serverHome),
                logFile: directory.url.appendingPathComponent("sshd.log")
            )
        }

        let knownHostsFile = keyDirectory.appendingPathComponent("known_hosts")
        try Data((knownHostsEntry(port: port, key: hostKey) + "\n").utf8).write(to: knownHostsFile)
        return SSHGitServer(
            port: port, repositoriesRoot: repositoriesRoot, user: user, hostKey: hostKey, clientKey: clientKey,
            rsaClientKey: rsaClientKey, knownHostsFile: knownHostsFile, home: home, directory: directory,
            keyDirectory: keyDirectory, process: process)
    }

    var temporaryDirectory: URL { directory.url }
    var processIdentifier: pid_t { process.processIdentifier }
    var log: String { process.log }

    /// "ssh://USER@127.0.0.1:PORT/<absolute path of repositoriesRoot>/NAME.git".
    func url(forRepository name: String) -> String {
        "ssh://\(user)@\(LoopbackPort.host):\(port)\(repositoriesRoot.path)/\(name).git"
    }

    /// The scp-like address of the same repository, "[USER@127.0.0.1:PORT]:<absolute path>/NAME.git": the plain
    /// `user@host:path` form cannot carry a port, and this bracketed one is how libgit2 (and git) take one.
    func scpLikeAddress(forRepository name: String) -> String {
        "[\(user)@\(LoopbackPort.host):\(port)]:\(repositoriesRoot.path)/\(name).git"
    }

    /// The host key's SHA-256 fingerprint, "SHA256:<base64>".
    func hostKeyFingerprintSHA256() throws -> String {
        try hostKey.fingerprintSHA256()
    }

    /// A known_hosts entry for this host and port with another, freshly generated key of the host key's type:
    /// a client trusting only it must fail host key verification.
    func wrongKnownHostsLine() throws -> String {
        let impostor = try SSHKeyPair.generate(hostKey.type, at: uniqueFile("impostor_host_key"), comment: "")
        return Self.knownHostsEntry(port: port, key: impostor)
    }

    /// `knownHostsLine` with its host name hashed by `ssh-keygen -H`: "|1|<salt>|<hash> <algorithm> <base64>".
    func hashedKnownHostsLine() throws -> String {
        let file = try uniqueFile("known_hosts_to_hash")
        try Data((knownHostsLine + "\n").utf8).write(to: file)
        try Command.run(SSHKeyPair.keygen, ["-H", "-f", file.path], environment: Command.plainEnvironment(home: keyDirectory))
        let hashed = try String(contentsOf: file, encoding: .utf8)
            .split(separator: "\n")
            .first { $0.hasPrefix("|1|") }
        guard let hashed else {
            throw HarnessError("ssh-keygen -H did not hash \(file.path)")
        }
        return String(hashed)
    }

    /// Writes a known_hosts file with the given contents (a newline is added when missing) and returns its path.
    func writeKnownHostsFile(_ contents: String) throws -> URL {
        let file = try uniqueFile("known_hosts")
        try Data((contents.hasSuffix("\n") ? contents : contents + "\n").utf8).write(to: file)
        return file
    }

    /// A freshly generated ed25519 key pair that is not in authorized_keys.
    func makeUnauthorizedClientKey(_ type: SSHKeyType = .ed25519) throws -> SSHKeyPair {
        try SSHKeyPair.generate(type, at: uniqueFile("unauthorized_client"), comment: "serin-test-unauthorized")
    }

    /// The GIT_SSH_COMMAND for this server: OpenSSH with only the given identity and known_hosts file,
    /// strict host key checking, no config file, no agent, no prompts.
    func sshCommand(identity: URL? = nil, knownHostsFile: URL? = nil) -> String {
        Self.sshCommand(port: port, identity: identity ?? clientKey.privateKey, knownHostsFile: knownHostsFile ?? self.knownHostsFile)
    }

    /// The git CLI with `sshCommand(identity:knownHostsFile:)` as GIT_SSH_COMMAND.
    func git(identity: URL? = nil, knownHostsFile: URL? = nil) -> GitCLI {
        git.adding(environment: ["GIT_SSH_COMMAND": sshCommand(identity: identity, knownHostsFile: knownHostsFile)])
    }

    func stop() {
        process.stop()
        directory.remove()
    }

    deinit {
        stop()
    }

    // MARK: - Helpers

    private static func knownHostsEntry(port: UInt16, key: SSHKeyPair) -> String {
        "[\(LoopbackPort.host)]:\(port) \(key.publicKeyEntry)"
    }

    private static func sshCommand(port: UInt16, identity: URL, knownHostsFile: URL) -> String {
        [
            "ssh", "-F", "/dev/null",
            "-i", quoted(identity.path),
            "-o", "UserKnownHostsFile=\(quoted(knownHostsFile.path))",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            "-p", String(port),
        ].joined(separator: " ")
    }

    /// Single-quotes a path for the shell that git runs GIT_SSH_COMMAND with.
    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private func uniqueFile(_ name: String) throws -> URL {
        let number = fileCounter.withLock { counter -> Int in
            counter += 1
            return counter
        }
        return keyDirectory.appendingPathComponent("\(name)-\(number)")
    }

    private static func currentUserName() throws -> String {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else {
            throw HarnessError("cannot find the name of user \(getuid())")
        }
        return String(cString: name)
    }

    private static func makePrivilegeSeparationDirectory() throws {
        guard getuid() == 0, !FileManager.default.fileExists(atPath: privilegeSeparationDirectory) else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: privilegeSeparationDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
        } catch {
            // Another test may have created it at the same moment.
            guard FileManager.default.fileExists(atPath: privilegeSeparationDirectory) else { throw error }
        }
    }
}
