/// Where the router listens and how it treats upstream connections. The defaults suit the local runtime: loopback
/// only, model servers on the same machine.
public struct RouterConfiguration: Sendable, Hashable {
    /// The listening address. 127.0.0.1 keeps models off the network; give 0.0.0.0 to serve other machines.
    public var host: String
    /// The listening port; 0 picks a free one (read it back from `ModelRouter.port`).
    public var port: Int
    /// How long to wait for an upstream to accept a connection before answering 502. A local model server accepts
    /// at once or not at all, so this only matters for remote upstreams.
    public var connectTimeout: Duration
    /// How long an upstream connection may idle in the pool. Shorter than uvicorn's 5 s keep-alive (MLServer's
    /// server), so the router closes idle connections before the upstream does and never writes to a closed one.
    public var idleConnectionTimeout: Duration
    /// Idle connections kept per upstream and event loop; more are closed when their requests end. Connections in
    /// use are not limited.
    public var maximumIdleConnectionsPerUpstream: Int
    /// How long `stop()` lets requests in flight finish before it closes their connections.
    public var stopGracePeriod: Duration
    /// How long a client connection may wait for its next request (or for the rest of a request head) before the
    /// router closes it; a request in flight is never cut by it. nginx's `keepalive_timeout` default.
    public var clientIdleTimeout: Duration
    /// How long an upstream may send nothing, once a request went out whole, before the router gives up on it: the
    /// client gets 504 (or, if part of the answer went out, its connection closes) and the version's metrics count a
    /// 504, so gates see a hung version fail. nginx's `proxy_read_timeout` default.
    public var upstreamTimeout: Duration
    /// Event loop threads of the router's own, stopped with it; nil serves connections on NIO's shared group, one
    /// thread per core. Model servers on the same machine need the cores too: on a 2-core machine shared with its
    /// load, one thread served about a fifth more requests a second than two (docs/router.md, Benchmark).
    public var threads: Int?
    /// How long a version's series stay in `/metrics` after no route sends to it any more: long enough for
    /// Prometheus to scrape their last values and for rate windows over them to end, after which a router that
    /// runs for months does not serve the series of every version it ever routed.
    public var unroutedSeriesRetention: Duration
    /// The version `GET /v2` reports, the Open Inference Protocol's server metadata (`serin run` gives Serin's).
    public var serverVersion: String

    public init(host: String = "127.0.0.1", port: Int = 8080, connectTimeout: Duration = .seconds(5),
                idleConnectionTimeout: Duration = .seconds(4), maximumIdleConnectionsPerUpstream: Int = 64,
                stopGracePeriod: Duration = .seconds(10), clientIdleTimeout: Duration = .seconds(75),
                upstreamTimeout: Duration = .seconds(60), threads: Int? = nil,
                unroutedSeriesRetention: Duration = .seconds(15 * 60), serverVersion: String = "unknown")
    {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.idleConnectionTimeout = idleConnectionTimeout
        self.maximumIdleConnectionsPerUpstream = maximumIdleConnectionsPerUpstream
        self.stopGracePeriod = stopGracePeriod
        self.clientIdleTimeout = clientIdleTimeout
        self.upstreamTimeout = upstreamTimeout
        self.threads = threads
        self.unroutedSeriesRetention = unroutedSeriesRetention
        self.serverVersion = serverVersion
    }
}
