import ArgumentParser
import Foundation
import SerinCore
import SerinGit

/// How a command reaches the Git repository: its address and credentials. Secrets come from files or environment
/// variables named here, never from the command line itself.
///
/// Every option can also come from an environment variable (`SERIN_REPO`, `SERIN_SSH_KEY`, …), so a container needs
/// no arguments; an option given on the command line wins.
struct RemoteOptions: ParsableArguments {
    private static let environment = ProcessInfo.processInfo.environment

    @Option(name: .long, help: "The repository: a path, file://, git://, http(s)://, ssh:// or user@host:path (env SERIN_REPO).")
    var repo: String = environment["SERIN_REPO"] ?? "."

    @Option(name: .customLong("username"), help: "Username for HTTP basic authentication (env SERIN_USERNAME).")
    private var usernameArgument: String?

    @Option(name: .customLong("password-file"), help: "File holding the HTTP password or token (env SERIN_PASSWORD_FILE).")
    private var passwordFileArgument: String?

    @Option(name: .customLong("password-env"), help: "Environment variable holding the HTTP password or token (env SERIN_PASSWORD_ENV).")
    private var passwordEnvArgument: String?

    @Option(name: .customLong("ssh-key"), help: "SSH private key file (env SERIN_SSH_KEY).")
    private var sshKeyArgument: String?

    @Option(help: "SSH user when the address names none (env SERIN_SSH_USER).")
    var sshUser: String = environment["SERIN_SSH_USER"] ?? "git"

    @Option(name: .customLong("ssh-passphrase-file"), help: "File holding the SSH key's passphrase (env SERIN_SSH_PASSPHRASE_FILE).")
    private var sshPassphraseFileArgument: String?

    @Option(name: .customLong("known-hosts"), help: "known_hosts file checked against the SSH server's host key (env SERIN_KNOWN_HOSTS; default: ~/.ssh/known_hosts).")
    private var knownHostsArgument: String?

    @Flag(help: "Accept SSH hosts missing from known_hosts; a listed host with a different key is still refused (env SERIN_ACCEPT_UNKNOWN_HOST_KEYS=true).")
    var acceptUnknownHostKeys = environment["SERIN_ACCEPT_UNKNOWN_HOST_KEYS"] == "true"

    @Flag(help: "Accept any SSH host key. Insecure: for throwaway test setups only (env SERIN_INSECURE_SKIP_HOST_KEY_CHECK=true).")
    var insecureSkipHostKeyCheck = environment["SERIN_INSECURE_SKIP_HOST_KEY_CHECK"] == "true"

    @Option(name: .customLong("ca-file"), help: "PEM file of certificate authorities to trust for HTTPS remotes, besides the system's (env SERIN_CA_FILE).")
    private var caFileArgument: String?

    @Option(name: .customLong("git-timeout"), help: "Give up on a Git server that sends nothing for this long, such as 60s or 5m (env SERIN_GIT_TIMEOUT; default: 60s).")
    private var gitTimeoutArgument: String?

    @Option(name: .customLong("cache-dir"), help: "Directory for Serin's bare mirrors (env SERIN_CACHE_DIR; default: $XDG_CACHE_HOME/serin or ~/.cache/serin).")
    private var cacheDirArgument: String?

    // Optional options take their environment variable here rather than as a default value, which
    // ArgumentParser deprecates for optionals; the command line still wins.
    var username: String? { usernameArgument ?? Self.environment["SERIN_USERNAME"] }
    var passwordFile: String? { passwordFileArgument ?? Self.environment["SERIN_PASSWORD_FILE"] }
    var passwordEnv: String? { passwordEnvArgument ?? Self.environment["SERIN_PASSWORD_ENV"] }
    var sshKey: String? { sshKeyArgument ?? Self.environment["SERIN_SSH_KEY"] }
    var sshPassphraseFile: String? { sshPassphraseFileArgument ?? Self.environment["SERIN_SSH_PASSPHRASE_FILE"] }
    var knownHosts: String? { knownHostsArgument ?? Self.environment["SERIN_KNOWN_HOSTS"] }
    var caFile: String? { caFileArgument ?? Self.environment["SERIN_CA_FILE"] }
    var cacheDir: String? { cacheDirArgument ?? Self.environment["SERIN_CACHE_DIR"] }
    var gitTimeout: String? { gitTimeoutArgument ?? Self.environment["SERIN_GIT_TIMEOUT"] }

    func validate() throws {
        try EnvironmentFlags.validate(["SERIN_ACCEPT_UNKNOWN_HOST_KEYS", "SERIN_INSECURE_SKIP_HOST_KEY_CHECK"],
                                      in: Self.environment)
        if passwordFile != nil && passwordEnv != nil {
            throw ValidationError("give the password with --password-file or --password-env, not both")
        }
        if (passwordFile != nil || passwordEnv != nil) && sshKey != nil {
            throw ValidationError("give either HTTP credentials or --ssh-key, not both")
        }
        if let gitTimeout, (SpecDuration(parsing: gitTimeout)?.duration ?? .zero) <= .zero {
            throw ValidationError("--git-timeout must be a duration such as 60s or 5m, not \(gitTimeout)")
        }
    }

    /// The remote as SerinGit takes it. A relative local path is made absolute so the mirror does not depend on
    /// the directory the command ran in.
    func remote() throws -> GitRemote {
        var url = repo
        if !url.contains("://") && RemoteURL.sshHost(of: url) == nil {
            url = URL(fileURLWithPath: url).standardizedFileURL.path
        }
        let credentials: GitCredentials
        if let sshKey {
            credentials = .sshKey(username: sshUser, privateKey: sshKey, publicKey: nil,
                                  passphrase: sshPassphraseFile.map(SecretSource.file))
        } else if let source = passwordFile.map(SecretSource.file) ?? passwordEnv.map(SecretSource.environment) {
            credentials = .basic(username: username ?? "x-access-token", password: source)
        } else {
            credentials = .none
        }
        let policy: HostKeyVerifier.Policy = insecureSkipHostKeyCheck ? .insecureAcceptAny : (acceptUnknownHostKeys ? .acceptUnknownHosts : .strict)
        var hosts = KnownHosts(entries: [])
        let knownHostsPath = knownHosts ?? (NSHomeDirectory() as NSString).appendingPathComponent(".ssh/known_hosts")
        if RemoteURL.sshHost(of: url) != nil, policy != .insecureAcceptAny {
            if FileManager.default.fileExists(atPath: knownHostsPath) {
                hosts = try KnownHosts(contentsOf: knownHostsPath)
            } else if knownHosts != nil {
                throw ValidationError("cannot read the known_hosts file \(knownHostsPath)")
            }
        }
        if let caFile {
            do throws(GitError) {
                try GitLibrary.shared.trustCertificateAuthorities(
                    in: caFile, bundle: (cacheDirectory as NSString).appendingPathComponent("ca-bundle.pem"))
            } catch {
                throw ValidationError(error.description)
            }
        }
        return GitRemote(url: url, credentials: credentials, knownHosts: hosts, hostKeyPolicy: policy,
                         timeout: gitTimeout.flatMap { SpecDuration(parsing: $0)?.duration } ?? GitRemote.defaultTimeout)
    }

    var cacheDirectory: String {
        if let cacheDir { return cacheDir }
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return (base as NSString).appendingPathComponent("serin")
    }
}

/// A Git failure reported to the user, with exit code 2 (the operation could not be carried out).
struct OperationFailure: Error, CustomStringConvertible {
    var description: String
}
