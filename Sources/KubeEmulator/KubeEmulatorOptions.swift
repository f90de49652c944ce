/// How an emulator starts. Every field has the default a test wants most of the time.
public struct KubeEmulatorOptions: Sendable {
    /// The TCP port on 127.0.0.1; 0 picks a free one (read it back from `KubeEmulator.port`).
    public var port: Int = 0
    /// Bearer tokens the emulator accepts. Empty: no authentication at all.
    public var acceptedTokens: Set<String> = []
    /// Bearer tokens of users who authenticate but may do nothing with resources, by token, with the user name
    /// Forbidden messages show: every resource request answers 403 (discovery stays open, as with RBAC's
    /// system:discovery). Setting any turns authentication on.
    public var unprivilegedUsers: [String: String] = [:]
    /// How many watch events are kept for watches that resume from a resourceVersion; older ones answer 410 Expired.
    public var watchHistoryLimit: Int = 1000
    /// How often a watch that allows bookmarks gets a BOOKMARK with the current resourceVersion (the real server:
    /// about every minute), so an idle informer can resume from a recent resourceVersion.
    public var watchBookmarkInterval: Duration = .seconds(60)
    /// How long a simulated Deployment takes from a spec change to a completed rollout.
    public var deploymentReadyAfter: Duration = .milliseconds(200)
    /// Whether the deployment controller simulation writes Deployment status at all. Off reproduces a bare
    /// kube-apiserver without kube-controller-manager (status stays `{}`), as in the recorded transcripts.
    public var simulatesDeploymentController: Bool = true
    /// Serve HTTPS with this certificate instead of plain HTTP (nil). kubectl sends a bearer token over TLS only, so
    /// authentication with kubectl needs it; over TLS clients negotiate HTTP/2 by ALPN, as with the real server.
    public var tls: KubeEmulatorTLS?
    /// Deliberate bugs, for the conformance suite's proof that it notices a broken emulator; empty everywhere else.
    package var conformanceFaults: Set<ConformanceFault> = []

    public init() {}
}

/// The PEM files an emulator serves HTTPS with, made by the caller (tests make a throwaway CA with openssl).
public struct KubeEmulatorTLS: Sendable, Equatable {
    /// The server certificate, optionally followed by intermediates. Clients connect to 127.0.0.1, so it needs the
    /// IP subject alternative name 127.0.0.1 (and DNS `localhost` for clients that connect by name).
    public var certificateChainFile: String
    public var privateKeyFile: String
    /// The CA that signed the certificate: written into kubeconfigs as `certificate-authority-data`, so clients
    /// verify the emulator rather than skipping verification. Nil writes no CA (clients must trust it otherwise).
    public var certificateAuthorityFile: String?

    public init(certificateChainFile: String, privateKeyFile: String, certificateAuthorityFile: String? = nil) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.certificateAuthorityFile = certificateAuthorityFile
    }
}
