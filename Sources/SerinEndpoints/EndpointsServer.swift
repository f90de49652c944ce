import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SerinServerSupport
import Synchronization

/// `serin run`'s own HTTP/1.1 server: webhooks that trigger a Git sync, Prometheus metrics, health and readiness.
///
/// - `POST /hooks/github`, `/hooks/gitlab`, `/hooks/generic`: see `WebhookEndpoint` and `WebhookReceiver`. A push
///   to the watched branch calls `syncNow` and answers 202; other events and branches answer 200 with a JSON body
///   saying why they were ignored; a bad or missing signature 401; an endpoint without a secret 403; a body over
///   the limit 413, unread.
/// - `GET /metrics`: `SerinMetrics` in Prometheus's text format.
/// - `GET /healthz`: 200 while the process serves requests at all.
/// - `GET /readyz`: 200 when `readiness` says so, else 503 with the reason.
///
/// Requests are served on NIO's event loops, never on Swift's cooperative pool; `syncNow` and `readiness` are
/// called there too, so they must return at once (`ReconcileLoop.syncNow()` and `ReadinessTracker` do).
public final class EndpointsServer: Sendable {
    /// The port the server listens on (the one picked, when 0 was asked for).
    public let port: Int
    /// The address it listens on.
    public let host: String
    /// The metrics served at `/metrics`: hand them to the operator to record into.
    public let metrics: SerinMetrics
    /// The webhook endpoints that refuse everything for want of a secret.
    public let disabledEndpoints: [WebhookEndpoint]

    private let core: EndpointsCore
    private let serverChannel: any Channel
    private let connections: OpenConnections
    private let group: any EventLoopGroup
    private let stopped = Atomic<Bool>(false)

    private init(port: Int, host: String, core: EndpointsCore, serverChannel: any Channel, connections: OpenConnections,
                 group: any EventLoopGroup, disabledEndpoints: [WebhookEndpoint])
    {
        self.group = group
        self.port = port
        self.host = host
        self.metrics = core.metrics
        self.core = core
        self.serverChannel = serverChannel
        self.connections = connections
        self.disabledEndpoints = disabledEndpoints
    }

    /// Reads the webhook secrets, binds and starts serving.
    ///
    /// - Parameters:
    ///   - metrics: what `/metrics` serves; the operator records into the same instance.
    ///   - syncNow: called once for each push to the watched branch (a sync is already running: the source
    ///     collapses triggers into one more sync).
    ///   - readiness: asked on each `/readyz`; `ReadinessTracker.readiness` fits.
    ///   - environment: where `SecretSource.environment` sources are read.
    /// - Throws: `EndpointsError` when a configured secret cannot be read or is empty, the branch is empty, or the
    ///   address cannot be bound. Nothing is left listening then.
    public static func start(_ configuration: EndpointsConfiguration, metrics: SerinMetrics = SerinMetrics(),
                             syncNow: @escaping @Sendable () -> Void,
                             readiness: @escaping @Sendable () -> Readiness,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             logger: Logger) async throws(EndpointsError) -> EndpointsServer
    {
        guard !configuration.branch.isEmpty else { throw .emptyBranch }
        guard configuration.maximumBodySize > 0 else { throw .invalidBodyLimit(configuration.maximumBodySize) }
        let secrets = try configuration.webhookSecrets.load(environment: environment)
        // One warning per file, however many endpoints share it.
        var warned: [String] = []
        for endpoint in WebhookEndpoint.allCases {
            if let source = configuration.webhookSecrets[endpoint], source.isReadableByOthers(), !warned.contains("\(source)") {
                warned.append("\(source)")
                logger.warning("the webhook secret file can be read by every user of this machine; chmod 600 it",
                               metadata: ["source": "\(source)"])
            }
        }
        let core = EndpointsCore(configuration: configuration, secrets: secrets, metrics: metrics, syncNow: syncNow,
                                 readiness: readiness, logger: logger)
        let connections = OpenConnections()
        let idleTimeout = TimeAmount.nanoseconds(configuration.idleTimeout.clampedNanoseconds)
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.add(channel) else {
                        channel.close(promise: nil)
                        return
                    }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(EndpointsHandler(core: core))
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .cannotListen(host: configuration.host, port: configuration.port, reason: ListenFailure.reason(error))
        }
        let port = serverChannel.localAddress?.port ?? configuration.port
        let disabled = WebhookEndpoint.allCases.filter { secrets[$0] == nil }
        let address = configuration.host.contains(":") ? "[\(configuration.host)]:\(port)" : "\(configuration.host):\(port)"
        logger.info("endpoints listening on http://\(address): \(EndpointRoute.pathsText)",
                    metadata: ["branch": "\(configuration.branch)"])
        if !disabled.isEmpty {
            let paths = disabled.map(\.path).joined(separator: ", ")
            // The paths go in `off` alone, so a terminal line does not list them twice.
            logger.notice("""
                webhook endpoints off: they refuse every request until Serin has a secret \
                (--webhook-secret-file or SERIN_WEBHOOK_SECRET); Serin polls Git meanwhile
                """, metadata: ["off": "\(paths)"])
        }
        return EndpointsServer(port: port, host: configuration.host, core: core, serverChannel: serverChannel,
                               connections: connections, group: eventLoopGroup, disabledEndpoints: disabled)
    }

    /// How many of the threads serving the endpoints did not take a task within `limit` (0: all of them serve). The
    /// service manager's watchdog asks this, as a kubelet's liveness probe asks `/healthz`.
    public func unresponsiveThreads(within limit: Duration) async -> Int {
        await group.unresponsiveThreads(within: limit)
    }

    /// Stops listening, lets requests in flight finish for up to the configured grace period (idle keep-alive
    /// connections close at once), then closes every connection. Safe to call more than once.
    public func stop() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await serverChannel.close()
        await connections.drainAndClose(gracePeriod: core.configuration.stopGracePeriod)
        core.logger.info("endpoints server stopped", metadata: ["port": "\(port)"])
    }
}
