import Logging
import NIOCore
import Synchronization

/// What every connection handler shares: the current routing table, the counters, and one upstream pool per event
/// loop.
final class RouterCore: Sendable {
    let configuration: RouterConfiguration
    let logger: Logger
    /// The threads connections are served on.
    let group: any EventLoopGroup
    let recorder = TrafficRecorder()
    private let table = Mutex(RoutingTable.empty)
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamConnectionPool>]
    private let sweeps: [ObjectIdentifier: NIOLoopBoundBox<ConnectionSweep>]

    init(configuration: RouterConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.group = group
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamConnectionPool>] = [:]
        var sweeps: [ObjectIdentifier: NIOLoopBoundBox<ConnectionSweep>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                UpstreamConnectionPool(eventLoop: loop, configuration: configuration), eventLoop: loop)
            sweeps[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                ConnectionSweep(eventLoop: loop, configuration: configuration), eventLoop: loop)
        }
        self.pools = pools
        self.sweeps = sweeps
    }

    /// The table requests starting now are routed by.
    var routingTable: RoutingTable { table.withLock { $0 } }

    /// Routes one request and, for a request sent upstream, counts it in flight, both under the table's lock: once
    /// a drain has swapped the table, every request routed by the old one is already counted, so the drain cannot
    /// miss one that was about to start.
    func route(modelName: String, pinnedVersion: String?) -> RouteDecision {
        table.withLock { table in
            let decision = table.decide(modelName: modelName, pinnedVersion: pinnedVersion)
            if case .forward(let target, _) = decision { target.counters.begin() }
            return decision
        }
    }

    /// Replaces the table with what `change` makes of the current one, atomically for requests, then lets go of
    /// the counters of versions out of the routes for longer than the configured retention.
    @discardableResult
    func updateTable(_ change: (RoutingTable) throws(RouterError) -> RoutingTable) throws(RouterError) -> RoutingTable {
        try table.withLock { (table: inout RoutingTable) throws(RouterError) -> RoutingTable in
            table = try change(table)
            // Under the table's lock, so that no other update routes a version again between the two.
            recorder.forgetUnrouted(routed: table.versionKeys, now: .now(),
                                    retention: TimeAmount(configuration.unroutedSeriesRetention))
            return table
        }
    }

    /// The pool of the loop a client connection runs on; called on that loop.
    func pool(for eventLoop: any EventLoop) -> UpstreamConnectionPool? {
        pools[ObjectIdentifier(eventLoop)]?.value
    }

    /// The timeout sweep of the loop a client connection runs on; called on that loop.
    func sweep(for eventLoop: any EventLoop) -> ConnectionSweep? {
        sweeps[ObjectIdentifier(eventLoop)]?.value
    }

    /// Runs `body` with each loop's pool, on that loop, and waits for all.
    func forEachPool(_ body: @escaping @Sendable (UpstreamConnectionPool) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for box in pools.values {
                group.addTask {
                    try? await box.eventLoop.submit { body(box.value) }.get()
                }
            }
        }
    }
}
