import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 transport on SwiftNIO, in the style of the Kubernetes emulator's server: keep-alive connections,
/// complete answers with a Content-Length, each connection served by its own task. Latency is waited out with a
/// task scheduled on the connection's event loop, so a slow answer holds no thread.
enum HTTPListener {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Listener = NIOAsyncChannel<Connection, Never>

    /// The largest request body read; a bigger one answers 413 without being kept.
    static let maximumBodySize = 16 * 1024 * 1024

    /// Binds `host:port` (port 0 picks a free port), with errors a user can act on.
    static func bind(host: String, port: Int) async throws(ModelServerError) -> Listener {
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError {
            switch error.errnoCode {
            case EADDRINUSE: throw .portInUse(host: host, port: port)
            case EADDRNOTAVAIL: throw .addressNotAvailable(host: host)
            case EACCES: throw .permissionDenied(host: host, port: port)
            default: throw .cannotListen(host: host, port: port, reason: String(cString: strerror(error.errnoCode)))
            }
        } catch is SocketAddressError {
            throw .addressNotAvailable(host: host)
        } catch {
            throw .cannotListen(host: host, port: port, reason: "\(error)")
        }
    }

    /// Accepts connections until the listener closes; returns once every connection has ended.
    static func acceptConnections(_ listener: Listener, service: ModelService, tracker: ConnectionTracker,
                                  logger: Logger, onExitRequested: @escaping @Sendable () -> Void) async
    {
        do {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask {
                            await serve(connection, service: service, tracker: tracker, logger: logger,
                                        onExitRequested: onExitRequested)
                        }
                    }
                }
            }
        } catch {
            logger.debug("listener ended", metadata: ["error": "\(error)"])
        }
    }

    private static func serve(_ connection: Connection, service: ModelService, tracker: ConnectionTracker,
                              logger: Logger, onExitRequested: @Sendable () -> Void) async
    {
        let channel = connection.channel
        guard let id = tracker.register(channel) else {
            channel.close(promise: nil)
            return
        }
        defer { tracker.unregister(id) }
        let eventLoop = channel.eventLoop
        let sleep: @Sendable (Duration) async -> Void = { duration in
            let delay = eventLoop.scheduleTask(in: TimeAmount(duration)) {}
            try? await delay.futureResult.get()
        }
        var exitRequested = false
        do {
            exitRequested = try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var bodyTooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        guard tracker.beginRequest(id) else { return false }
                        head = requestHead
                        body = []
                        bodyTooLarge = false
                        if requestHead.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                            // curl waits a second for this before sending a larger body.
                            try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .continue)))
                        }
                    case .body(let buffer):
                        if body.count + buffer.readableBytes > maximumBodySize {
                            bodyTooLarge = true
                            body = []
                        } else if !bodyTooLarge {
                            body.append(contentsOf: buffer.readableBytesView)
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let started = ContinuousClock.now
                        logger.debug("\(requestHead.method.rawValue) \(requestHead.uri)")
                        let reply: ServiceReply
                        if bodyTooLarge {
                            reply = .respond(.error(413, InferenceRequestError.bodyTooLarge(limit: maximumBodySize).description),
                                             thenExit: false)
                        } else {
                            reply = await service.respond(
                                to: ServiceRequest(method: requestHead.method.rawValue, uri: requestHead.uri, body: body),
                                sleep: sleep)
                        }
                        guard case .respond(let response, let thenExit) = reply else { return false }
                        let keepAlive = requestHead.isKeepAlive && !thenExit && !tracker.isStopping
                        try await write(response, version: requestHead.version, keepAlive: keepAlive, to: outbound)
                        let elapsed = DurationText.format(ContinuousClock.now - started)
                        logger.debug("\(requestHead.method.rawValue) \(requestHead.uri) answered \(response.status) in \(elapsed)")
                        let stayOpen = tracker.endRequest(id)
                        if thenExit { return true }
                        if !keepAlive || !stayOpen { return false }
                    }
                }
                return false
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
        if exitRequested {
            onExitRequested()
        }
    }

    private static func write(_ response: ServiceResponse, version: HTTPVersion, keepAlive: Bool,
                              to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws
    {
        let bytes = ByteBuffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) {
            headers.add(name: name, value: value)
        }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status),
                                   headers: headers)),
            .body(.byteBuffer(bytes)),
            .end(nil),
        ])
    }
}
