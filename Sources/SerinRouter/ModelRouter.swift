import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SerinCore
import SerinServerSupport
import Synchronization

/// Serin's HTTP/1.1 reverse proxy for the local runtime: one listener in front of every model's processes, sending
/// each model's requests to its stable and canary versions by the weights the rollout engine sets.
///
/// - Requests: `/v2/models/<model>/…` (Open Inference Protocol), `/models/<model>/…` and `/v1/models/<model>…`
///   go to that model's upstreams, the path unchanged. `X-Serin-Version: <version>` pins a routed version, even
///   one with weight 0. Answers carry `X-Serin-Version` naming the version that served them.
/// - Router's own answers: 404 with JSON `{"error": …}` for an unknown model or an unrouted pinned version, 503
///   when the model has no upstream, 502 when the upstream cannot be reached or fails before answering, 504 when it
///   sends nothing for `upstreamTimeout`; 400, 431 or 505 for a request that is not HTTP/1.1 as `HTTPHeadParser`
///   reads it.
/// - Idle client connections close after `clientIdleTimeout`.
/// - Weights are exact: smooth weighted round-robin gives a 10% canary 10 of every 100 requests.
/// - `GET /metrics` serves `serin_router_requests_total` and `serin_router_request_duration_seconds` in
///   Prometheus's text format; `traffic(for:)` gives the same numbers to gates directly.
///
/// A route change applies to requests that start after it; requests in flight finish on the version they
/// started on, and `drain` waits for them before a version's process is stopped.
public final class ModelRouter: Sendable {
    /// The port the router listens on (the one picked, when 0 was asked for).
    public let port: Int
    /// The address it listens on.
    public let host: String

    private let core: RouterCore
    private let serverChannel: any Channel
    private let connections: OpenConnections
    /// The threads started for `RouterConfiguration.threads`, shut down by `stop()`.
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let stopped = Atomic<Bool>(false)

    private init(port: Int, host: String, core: RouterCore, serverChannel: any Channel, connections: OpenConnections,
                 ownedGroup: MultiThreadedEventLoopGroup?)
    {
        self.port = port
        self.host = host
        self.core = core
        self.serverChannel = serverChannel
        self.connections = connections
        self.ownedGroup = ownedGroup
    }

    /// Starts a router on `host:port` (127.0.0.1:8080 unless told otherwise; port 0 picks a free one) with no
    /// routes: every model request gets 404 until `setRoutes` is called.
    public static func start(host: String = "127.0.0.1", port: Int = 8080, logger: Logger) async throws(RouterError)
        -> ModelRouter
    {
        try await start(RouterConfiguration(host: host, port: port), logger: logger)
    }

    /// Starts a router with the given configuration. Connections are served on `eventLoopGroup`'s threads, each
    /// client connection and its upstream connections on one thread, or on threads of the router's own when the
    /// configuration gives `threads`.
    public static func start(_ configuration: RouterConfiguration,
                             eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             logger: Logger) async throws(RouterError) -> ModelRouter
    {
        var ownedGroup: MultiThreadedEventLoopGroup?
        if let threads = configuration.threads {
            guard threads >= 1 else { throw .invalidThreadCount(threads) }
            ownedGroup = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        }
        do {
            return try await start(configuration, on: ownedGroup ?? eventLoopGroup, owning: ownedGroup, logger: logger)
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            throw error
        }
    }

    private static func start(_ configuration: RouterConfiguration, on eventLoopGroup: any EventLoopGroup,
                              owning ownedGroup: MultiThreadedEventLoopGroup?, logger: Logger) async throws(RouterError)
        -> ModelRouter
    {
        let core = RouterCore(configuration: configuration, group: eventLoopGroup, logger: logger)
        let connections = OpenConnections()
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.add(channel) else {
                        channel.close(promise: nil)
                        return
                    }
                    let pool = core.pool(for: channel.eventLoop)
                        ?? UpstreamConnectionPool(eventLoop: channel.eventLoop, configuration: configuration)
                    let sweep = core.sweep(for: channel.eventLoop)
                        ?? ConnectionSweep(eventLoop: channel.eventLoop, configuration: configuration)
                    // ProxyHandler alone: it reads and writes the connection's bytes itself, with no HTTP codec.
                    try channel.pipeline.syncOperations.addHandler(ProxyHandler(core: core, pool: pool, sweep: sweep))
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .cannotListen(host: configuration.host, port: configuration.port, reason: ListenFailure.reason(error))
        }
        let port = serverChannel.localAddress?.port ?? configuration.port
        let address = UpstreamAddress(host: configuration.host, port: port)
        logger.info("router listening on http://\(address): /v2/models/<model>/…, /models/<model>/…, GET /v2, GET /v2/health/{live,ready}, GET /metrics")
        return ModelRouter(port: port, host: configuration.host, core: core, serverChannel: serverChannel,
                           connections: connections, ownedGroup: ownedGroup)
    }

    // MARK: Routes

    /// The routes requests are sent by now, ordered by deployment.
    public var routes: [ModelRoute] { core.routingTable.routes }

    /// Replaces every route at once. Requests that start after this returns are routed by the new weights;
    /// requests in flight finish where they are. A route left unchanged keeps its place in the round-robin, so its
    /// proportions stay exact. Throws, changing nothing, when a route is invalid or two routes clash.
    public func setRoutes(_ routes: [ModelRoute]) throws(RouterError) {
        try core.updateTable { (table: RoutingTable) throws(RouterError) -> RoutingTable in
            try RoutingTable.build(routes, previous: table, recorder: core.recorder)
        }
        logRoutes(routes)
    }

    /// Adds one deployment's route or replaces it, leaving the others as they are: what a rollout step changes.
    public func setRoute(_ route: ModelRoute) throws(RouterError) {
        try core.updateTable { (table: RoutingTable) throws(RouterError) -> RoutingTable in
            let others = table.routes.filter { $0.key != route.key }
            return try RoutingTable.build(others + [route], previous: table, recorder: core.recorder)
        }
        logRoutes([route])
    }

    /// Removes a deployment's route: its model's requests get 404 from now on. Requests in flight finish; `drain`
    /// the versions first to wait for them.
    public func removeRoute(for key: DeploymentKey) {
        _ = try? core.updateTable { (table: RoutingTable) throws(RouterError) -> RoutingTable in
            try RoutingTable.build(table.routes.filter { $0.key != key }, previous: table, recorder: core.recorder)
        }
        core.logger.debug("router route removed", metadata: ["model": "\(key)"])
    }

    /// Takes `versions` of a deployment out of its route (a drained stable leaves the canary alone, taking all
    /// traffic) and waits until their requests in flight have finished or `timeout` has passed, so the runtime
    /// can stop their processes without cutting a request off. Versions already out of the route are waited for
    /// the same way. Idle upstream connections no route uses any more are closed afterwards.
    public func drain(_ key: DeploymentKey, versions: Set<String>, timeout: Duration) async -> DrainResult {
        _ = try? core.updateTable { (table: RoutingTable) throws(RouterError) -> RoutingTable in
            guard var route = table.byKey[key]?.route else { return table }
            if let stable = route.stable, versions.contains(stable.version) { route.stable = nil }
            if let canary = route.canary, versions.contains(canary.version) { route.canary = nil }
            let others = table.routes.filter { $0.key != key }
            return try RoutingTable.build(others + [route], previous: table, recorder: core.recorder)
        }
        let counters = versions.compactMap { core.recorder.existingCounters(for: VersionKey(key: key, version: $0)) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var remaining: [String: Int] = [:]
        while true {
            remaining = Dictionary(uniqueKeysWithValues: counters.map { ($0.versionKey.version, $0.inFlight) })
                .filter { $0.value > 0 }
            // Polling, not notification: drains are rare and short, and a poll cannot miss a wake-up.
            if remaining.isEmpty || clock.now >= deadline { break }
            do { try await Task.sleep(for: .milliseconds(5)) } catch { break }
        }
        let addresses = core.routingTable.addresses
        await core.forEachPool { $0.closeIdle(keeping: addresses) }
        let result = DrainResult(remaining: remaining)
        // Labelled with the version drained, like every line about one version (usually a drain has one).
        var metadata: Logger.Metadata = ["model": "\(key)"]
        let names = versions.sorted()
        if names.count == 1 { metadata["version"] = "\(names[0])" } else { metadata["versions"] = "\(names.joined(separator: ", "))" }
        if result.isComplete {
            core.logger.info("router drained: no request left in flight", metadata: metadata)
        } else {
            metadata["result"] = "\(result)"
            core.logger.warning("router drain timed out with requests still in flight", metadata: metadata)
        }
        return result
    }

    // MARK: Metrics

    /// Each version's traffic since the router started, for gates that read the router directly in local mode:
    /// the same numbers `/metrics` serves. Versions that were routed but saw no request are included with zeros.
    public func traffic(for key: DeploymentKey) -> [String: VersionTraffic] {
        core.recorder.traffic(for: key)
    }

    /// What `GET /metrics` serves: `serin_router_requests_total{namespace,deployment,version,code}` and
    /// `serin_router_request_duration_seconds_{bucket,sum,count}{namespace,deployment,version[,le]}`.
    public func metricsText() -> String {
        PrometheusText.render(core.recorder.allTraffic())
    }

    /// How many of the router's threads did not take a task within `limit` (0: all of them serve). A thread held
    /// that long leaves its connections waiting; the service manager's watchdog asks this.
    public func unresponsiveThreads(within limit: Duration) async -> Int {
        await core.group.unresponsiveThreads(within: limit)
    }

    // MARK: Stopping

    /// Stops listening, lets requests in flight finish for up to the configured grace period (idle keep-alive
    /// connections close at once), then closes every client and upstream connection. Safe to call more than once.
    public func stop() async throws {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await serverChannel.close()
        await connections.drainAndClose(gracePeriod: core.configuration.stopGracePeriod)
        await core.forEachPool { $0.close() }
        try? await ownedGroup?.shutdownGracefully()
        core.logger.info("router stopped", metadata: ["port": "\(port)"])
    }

    private func logRoutes(_ routes: [ModelRoute]) {
        for route in routes {
            core.logger.debug("router route set", metadata: [
                "model": "\(route.key)", "modelName": "\(route.modelName)",
                "stable": "\(route.stable.map(\.description) ?? "none")",
                "canary": "\(route.canary.map(\.description) ?? "none")", "canaryWeight": "\(route.canaryWeight)",
            ])
        }
    }
}
