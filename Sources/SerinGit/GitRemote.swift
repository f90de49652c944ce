/// A remote repository and how to reach it.
public struct GitRemote: Sendable, Hashable {
    /// A local path, `file://`, `git://`, `http(s)://`, `ssh://` or scp-like `user@host:path`.
    public var url: String
    public var credentials: GitCredentials
    public var knownHosts: KnownHosts
    public var hostKeyPolicy: HostKeyVerifier.Policy
    /// How long a connection to the remote may go without a byte either way before the fetch or push fails: a
    /// server that accepts and then says nothing would otherwise hold Serin's Git work forever. Applies to connecting
    /// too, and to every transport (over SSH, by the kernel's count of the connection's idle time: see shim.h).
    public var timeout: Duration

    /// 60 seconds by default, as Flux's GitRepository: well past any healthy server's pause.
    public static let defaultTimeout: Duration = .seconds(60)

    public init(url: String, credentials: GitCredentials = .none, knownHosts: KnownHosts = KnownHosts(entries: []),
                hostKeyPolicy: HostKeyVerifier.Policy = .strict, timeout: Duration = defaultTimeout) {
        self.url = url
        self.credentials = credentials
        self.knownHosts = knownHosts
        self.hostKeyPolicy = hostKeyPolicy
        self.timeout = timeout
    }

    /// The URL without credentials, for logs and messages.
    public var displayURL: String { RemoteURL.redacting(url) }

    func transportContext() -> TransportContext {
        let sshHost = RemoteURL.sshHost(of: url)
        return TransportContext(credentials: credentials,
                                hostKeys: HostKeyVerifier(knownHosts: knownHosts, policy: hostKeyPolicy, port: sshHost?.port ?? 22),
                                timeout: timeout, overSSH: sshHost != nil)
    }
}

extension GitRemote {
    public static func == (lhs: GitRemote, rhs: GitRemote) -> Bool {
        lhs.url == rhs.url && lhs.credentials == rhs.credentials && lhs.hostKeyPolicy == rhs.hostKeyPolicy
            && lhs.knownHosts == rhs.knownHosts && lhs.timeout == rhs.timeout
    }
}
