/// A remote repository and how to reach it.
public struct GitRemote: Sendable, Hashable {
    /// A local path, `file://`, `git://`, `http(s)://`, `ssh://` or scp-like `user@host:path`.
    public var url: String
    public var credentials: GitCredentials
    public var knownHosts: KnownHosts
    public var hostKeyPolicy: HostKeyVerifier.Policy

    public init(url: String, credentials: GitCredentials = .none, knownHosts: KnownHosts = KnownHosts(entries: []),
                hostKeyPolicy: HostKeyVerifier.Policy = .strict) {
        self.url = url
        self.credentials = credentials
        self.knownHosts = knownHosts
        self.hostKeyPolicy = hostKeyPolicy
    }

    /// The URL without credentials, for logs and messages.
    public var displayURL: String { RemoteURL.redacting(url) }

    func transportContext() -> TransportContext {
        let port = RemoteURL.sshHost(of: url)?.port ?? 22
        return TransportContext(credentials: credentials,
                                hostKeys: HostKeyVerifier(knownHosts: knownHosts, policy: hostKeyPolicy, port: port))
    }
}

extension GitRemote {
    public static func == (lhs: GitRemote, rhs: GitRemote) -> Bool {
        lhs.url == rhs.url && lhs.credentials == rhs.credentials && lhs.hostKeyPolicy == rhs.hostKeyPolicy
            && lhs.knownHosts == rhs.knownHosts
    }
}
