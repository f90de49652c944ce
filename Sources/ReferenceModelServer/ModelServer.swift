import Logging
import NIOCore

/// Where and what to serve.
public struct ModelServerConfiguration: Sendable {
    public var served: ServedModel
    /// 127.0.0.1 by default: a reference server for tests and demos; pass 0.0.0.0 in a container.
    public var host: String
    /// 0 picks a free port; `ModelServer.port` tells which.
    public var port: Int
    public var faults: FaultInjection

    public init(served: ServedModel, host: String = "127.0.0.1", port: Int, faults: FaultInjection = FaultInjection()) {
        self.served = served
        self.host = host
        self.port = port
        self.faults = faults
    }
}

/// A running reference model server: `start` it, then `shutDown()` it (graceful: in-flight requests are answered),
/// or exit when `exitRequested` yields (`--fail-after` reached).
public final class ModelServer: Sendable {
    public let host: String
    /// The port it listens on (the one picked when 0 was asked for).
    public let port: Int
    public let service: ModelService
    /// Yields once the `--fail-after` request has been answered: the process should exit with status 1 at once,
    /// as a crashed server would.
    public let exitRequested: AsyncStream<Void>
    private let listener: HTTPListener.Listener
    private let tracker: ConnectionTracker
    private let acceptTask: Task<Void, Never>

    private init(host: String, port: Int, service: ModelService, exitRequested: AsyncStream<Void>,
                 listener: HTTPListener.Listener, tracker: ConnectionTracker, acceptTask: Task<Void, Never>)
    {
        self.host = host
        self.port = port
        self.service = service
        self.exitRequested = exitRequested
        self.listener = listener
        self.tracker = tracker
        self.acceptTask = acceptTask
    }

    /// Binds and starts serving; logs the one start line.
    public static func start(_ configuration: ModelServerConfiguration,
                             logger: Logger = Logger(label: "serin-model-server")) async throws(ModelServerError) -> ModelServer
    {
        let listener = try await HTTPListener.bind(host: configuration.host, port: configuration.port)
        let port = listener.channel.localAddress?.port ?? configuration.port
        let service = ModelService(served: configuration.served, faults: configuration.faults)
        let tracker = ConnectionTracker()
        let (exitRequested, exitContinuation) = AsyncStream.makeStream(of: Void.self)
        let acceptTask = Task {
            await HTTPListener.acceptConnections(listener, service: service, tracker: tracker, logger: logger,
                                                 onExitRequested: { exitContinuation.yield() })
        }
        let served = configuration.served
        logger.info("""
            serving model \(served.name) version \(served.version) (\(served.model.kind.rawValue), \
            \(served.model.featureCount) features) from \(served.source) on \
            http://\(configuration.host):\(port) (faults: \(configuration.faults.summary))
            """)
        return ModelServer(host: configuration.host, port: port, service: service, exitRequested: exitRequested,
                           listener: listener, tracker: tracker, acceptTask: acceptTask)
    }

    /// Stops gracefully: no new connections or requests, idle connections closed, requests in flight answered (their
    /// connections closed after the answer). Connections still busy after `gracePeriod` are closed unanswered.
    public func shutDown(gracePeriod: Duration = .seconds(25)) async {
        for channel in tracker.beginStop() {
            channel.close(promise: nil)
        }
        try? await listener.channel.close()
        let acceptTask = self.acceptTask
        let tracker = self.tracker
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await acceptTask.value
                return true
            }
            group.addTask {
                do { try await Task.sleep(for: gracePeriod) } catch { return true }
                return false
            }
            while let finished = await group.next() {
                if finished {
                    group.cancelAll()
                    break
                }
                for channel in tracker.openChannels {
                    channel.close(promise: nil)
                }
            }
        }
    }
}
