/// How `serin run`'s endpoints server listens and what its webhooks accept. The defaults are the safe ones:
/// loopback only, every webhook off until a secret is given, 1 MiB bodies.
public struct EndpointsConfiguration: Sendable {
    /// The listening address. 127.0.0.1 keeps the server to this machine; give 0.0.0.0 (behind TLS) for a Git
    /// provider to reach the webhooks.
    public var host: String
    /// The listening port; 0 picks a free one (read it back from `EndpointsServer.port`).
    public var port: Int
    /// The branch holding the desired state: only pushes to it trigger a sync.
    public var branch: String
    /// The secret each webhook checks; an endpoint without one refuses everything.
    public var webhookSecrets: WebhookSecretSources
    /// The largest webhook body read. GitHub caps payloads at 25 MB, but a push to a GitOps repository is far
    /// smaller; a larger Content-Length is refused before the body is read.
    public var maximumBodySize: Int
    /// A connection with no traffic for this long is closed, so idle or stalled clients cannot hold sockets.
    public var idleTimeout: Duration
    /// How long `stop()` lets requests in flight finish before it closes their connections.
    public var stopGracePeriod: Duration

    public init(host: String = "127.0.0.1", port: Int = 8081, branch: String,
                webhookSecrets: WebhookSecretSources = .none, maximumBodySize: Int = 1 << 20,
                idleTimeout: Duration = .seconds(60), stopGracePeriod: Duration = .seconds(5))
    {
        self.host = host
        self.port = port
        self.branch = branch
        self.webhookSecrets = webhookSecrets
        self.maximumBodySize = maximumBodySize
        self.idleTimeout = idleTimeout
        self.stopGracePeriod = stopGracePeriod
    }
}
