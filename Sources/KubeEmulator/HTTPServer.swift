import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SerinCore

/// The emulator's HTTP/1.1 server on SwiftNIO: keep-alive connections, complete JSON answers with a
/// Content-Length, and watches as chunked responses with one JSON event per line, flushed per event.
enum HTTPServer {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Listener = NIOAsyncChannel<Connection, Never>

    /// The largest request body accepted, as kube-apiserver's 3 MiB limit.
    static let maximumBodySize = 3 * 1024 * 1024

    /// Binds 127.0.0.1 only: the emulator is for tests on this machine.
    static func bind(port: Int) async throws -> Listener {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Accepts connections until the listener closes or the task is cancelled, each served concurrently.
    static func acceptConnections(_ listener: Listener, handler: APIHandler, control: EmulatorControl,
                                  logger: Logger) async
    {
        do {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask {
                            await serve(connection, handler: handler, control: control, logger: logger)
                        }
                    }
                }
            }
        } catch {
            logger.debug("emulator listener ended", metadata: ["error": "\(error)"])
        }
    }

    private static func serve(_ connection: Connection, handler: APIHandler, control: EmulatorControl,
                              logger: Logger) async
    {
        let (closed, closedContinuation) = AsyncStream.makeStream(of: Void.self)
        connection.channel.closeFuture.whenComplete { _ in closedContinuation.finish() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                        if requestHead.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                            // libcurl waits a second for this before sending a large body.
                            try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .continue)))
                        }
                    case .body(let buffer):
                        body.append(contentsOf: buffer.readableBytesView)
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let request = EmulatorRequest(
                            method: requestHead.method.rawValue, uri: requestHead.uri,
                            headers: requestHead.headers.map { ($0.name, $0.value) }, body: body)
                        let response: EmulatorResponse
                        if body.count > maximumBodySize {
                            response = .error(APIStatusError(code: 413, reason: "RequestEntityTooLarge",
                                                             message: "the request body is too large"))
                        } else {
                            response = await handler.handle(request)
                        }
                        await control.record(EmulatorRequestRecord(
                            method: request.method, path: request.path, query: request.rawQuery,
                            contentType: request.contentType, status: response.status, userAgent: request.userAgent))
                        try await write(response, to: outbound, version: requestHead.version,
                                        keepAlive: requestHead.isKeepAlive, closed: closed)
                        if !requestHead.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("emulator connection ended", metadata: ["error": "\(error)"])
        }
    }

    private static func write(_ response: EmulatorResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                              version: HTTPVersion, keepAlive: Bool, closed: AsyncStream<Void>) async throws
    {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "no-cache, private")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        switch response {
        case .json(let status, let body, let extraHeaders):
            headers.add(name: "Content-Type", value: "application/json")
            for (name, value) in extraHeaders { headers.add(name: name, value: value) }
            try await writeComplete(status: status, body: body.serialized + "\n", headers: headers, version: version,
                                    to: outbound)
        case .text(let status, let body):
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            try await writeComplete(status: status, body: body, headers: headers, version: version, to: outbound)
        case .watch(let stream):
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Transfer-Encoding", value: "chunked")
            try await outbound.write(.head(HTTPResponseHead(version: version, status: .ok, headers: headers)))
            try await streamWatch(stream, to: outbound, closed: closed)
        }
    }

    private static func writeComplete(status: Int, body: String, headers: HTTPHeaders, version: HTTPVersion,
                                      to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws
    {
        var headers = headers
        let bytes = ByteBuffer(string: body)
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)),
            .body(.byteBuffer(bytes)),
            .end(nil),
        ])
    }

    /// Why a watch stream ended.
    private enum WatchEnd: Sendable {
        case eventsEnded
        case timedOut
        case clientGone
    }

    /// Writes events until the stream ends (store stopped, ERROR sent, event budget spent) or the client goes
    /// away. At the timeout the store ends the stream in order (a closing BOOKMARK when asked for), and every event
    /// queued before it is still written; then the response ends cleanly.
    private static func streamWatch(_ stream: WatchStream, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                                    closed: AsyncStream<Void>) async throws
    {
        let end = await withTaskGroup(of: WatchEnd.self) { group in
            group.addTask {
                var written = 0
                for await event in stream.events {
                    do {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: event.serialized + "\n"))))
                    } catch {
                        return .clientGone
                    }
                    written += 1
                    if let maximum = stream.maximumEvents, written >= maximum { break }
                }
                return .eventsEnded
            }
            group.addTask {
                do { try await Task.sleep(for: stream.timeout) } catch { return .eventsEnded }
                await stream.finish()
                return .timedOut
            }
            group.addTask {
                for await _ in closed {}
                return .clientGone
            }
            if let interval = stream.bookmarkInterval, interval > .zero {
                group.addTask {
                    while true {
                        do { try await Task.sleep(for: interval) } catch { return .timedOut }
                        await stream.sendBookmark()
                    }
                }
            }
            var end = WatchEnd.eventsEnded
            while let next = await group.next() {
                // After the timeout the events task drains what is queued and ends by itself.
                if next == .timedOut { continue }
                end = next
                break
            }
            group.cancelAll()
            return end
        }
        await stream.abandon()
        if end == .clientGone { return }
        try await outbound.write(.end(nil))
    }
}
