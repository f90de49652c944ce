import NIOCore
import NIOPosix

/// One open connection to an upstream.
final class UpstreamConnection {
    let address: UpstreamAddress
    let channel: any Channel
    let handler: UpstreamConnectionHandler
    /// Requests this connection carried before the current one: a reused connection may have been closed by the
    /// upstream while it idled, which is why a failure on one can be retried.
    var requestsCarried = 0
    /// When it went back to the pool.
    var idleSince = NIODeadline.now()

    init(address: UpstreamAddress, channel: any Channel, handler: UpstreamConnectionHandler) {
        self.address = address
        self.channel = channel
        self.handler = handler
    }
}

/// The idle connections to one upstream, most recently used last. A class, so that taking one out and putting one
/// back change it in place: mutating an array inside the pool's dictionary goes through an accessor that allocates
/// on every call, which is every request.
final class IdleConnections {
    var connections: [UpstreamConnection] = []
}

/// Keep-alive connections to upstreams, one pool per event loop and used only on it: a client connection borrows
/// from the pool of its own loop, so no lock is taken and the upstream socket is served by the same thread as the
/// client socket.
///
/// Idle connections are kept for `idleTimeout` at most. Model servers close idle connections on their own (uvicorn,
/// under MLServer, after 5 seconds): a connection idle for longer is closed here rather than risk sending a request
/// the upstream will never read.
final class UpstreamConnectionPool {
    let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let maximumIdlePerUpstream: Int
    private var idle: [UpstreamAddress: IdleConnections] = [:]
    private var sweep: Scheduled<Void>?
    private var isClosed = false

    init(eventLoop: any EventLoop, configuration: RouterConfiguration) {
        self.eventLoop = eventLoop
        self.connectTimeout = TimeAmount(configuration.connectTimeout)
        self.idleTimeout = TimeAmount(configuration.idleConnectionTimeout)
        self.maximumIdlePerUpstream = configuration.maximumIdleConnectionsPerUpstream
    }

    /// An idle connection to `address`, most recently used first (the likeliest still open), or nil; `now` is the
    /// time to judge how long connections idled.
    func lease(_ address: UpstreamAddress, at now: NIODeadline) -> UpstreamConnection? {
        guard !isClosed, let list = idle[address] else { return nil }
        while let connection = list.connections.popLast() {
            if connection.handler.isActive && now - connection.idleSince < idleTimeout {
                return connection
            }
            connection.handler.close()
        }
        return nil
    }

    /// Takes back a connection whose exchange ended cleanly `now`; closes it when the pool is full or closed.
    func release(_ connection: UpstreamConnection, at now: NIODeadline = .now()) {
        connection.handler.exchange = nil
        guard !isClosed, connection.handler.isActive else {
            connection.handler.close()
            return
        }
        let list = idle[connection.address] ?? newList(for: connection.address)
        guard list.connections.count < maximumIdlePerUpstream else {
            connection.handler.close()
            return
        }
        list.connections.append(connection)
        connection.requestsCarried += 1
        connection.idleSince = now
        // Idle connections are read from, so an upstream closing one is noticed at once.
        connection.handler.resumeReading()
        scheduleSweep()
    }

    private func newList(for address: UpstreamAddress) -> IdleConnections {
        let list = IdleConnections()
        idle[address] = list
        return list
    }

    /// Opens a new connection on this loop and calls `completion` on it.
    func connect(_ address: UpstreamAddress, socketAddress: SocketAddress?,
                 completion: @escaping (Result<UpstreamConnection, any Error>) -> Void)
    {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamConnectionHandler())
                }
            }
        let connected = socketAddress.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: address.host, port: address.port)
        connected.assumeIsolated().whenComplete { result in
            completion(result.flatMap { channel in
                Result {
                    let handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                    let connection = UpstreamConnection(address: address, channel: channel, handler: handler)
                    // Weak to the pool only: a weak reference to the connection would give it a side table, and it is
                    // retained and released several times per request.
                    handler.onClose = { [weak self] handler in
                        self?.forget(address: address, handler: handler)
                    }
                    return connection
                }
            })
        }
    }

    /// Closes idle connections to addresses no longer routed (after a drain), so they do not linger until the
    /// idle timeout.
    func closeIdle(keeping addresses: Set<UpstreamAddress>) {
        for address in idle.keys where !addresses.contains(address) {
            idle.removeValue(forKey: address)?.connections.forEach { $0.handler.close() }
        }
    }

    /// Closes every idle connection and every one released later: the router is stopping.
    func close() {
        isClosed = true
        sweep?.cancel()
        sweep = nil
        let connections = idle.values.flatMap(\.connections)
        idle = [:]
        connections.forEach { $0.handler.close() }
    }

    var idleCount: Int { idle.values.reduce(0) { $0 + $1.connections.count } }

    private func forget(address: UpstreamAddress, handler: UpstreamConnectionHandler) {
        guard let list = idle[address],
              let index = list.connections.firstIndex(where: { $0.handler === handler }) else { return }
        list.connections.remove(at: index)
    }

    /// Closes connections idle past the timeout, checking every quarter of it while any connection idles.
    private func scheduleSweep() {
        guard sweep == nil, !isClosed else { return }
        let interval = max(TimeAmount.milliseconds(50), TimeAmount.nanoseconds(idleTimeout.nanoseconds / 4))
        sweep = eventLoop.assumeIsolated().scheduleTask(in: interval) { [weak self] in
            guard let self else { return }
            self.sweep = nil
            let now = NIODeadline.now()
            for (address, list) in self.idle {
                let connections = list.connections
                list.connections = connections.filter { now - $0.idleSince < self.idleTimeout }
                if list.connections.isEmpty { self.idle[address] = nil }
                connections.filter { now - $0.idleSince >= self.idleTimeout }.forEach { $0.handler.close() }
            }
            if !self.idle.isEmpty { self.scheduleSweep() }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
