import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import SerinCore

/// The emulator's HTTP server on SwiftNIO: keep-alive connections, complete JSON answers with a Content-Length, and
/// watches as streamed responses with one JSON event per line, flushed per event.
///
/// Plain HTTP speaks HTTP/1.1 only. Over TLS the client picks by ALPN: `h2` (what kubectl and libcurl ask for, as a
/// real kube-apiserver grants) or `http/1.1`, and no ALPN at all falls back to HTTP/1.1. Each HTTP/2 stream is
/// translated back into HTTP/1 request and response parts, so one request loop serves every protocol the same way.
enum HTTPServer {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Negotiated = NIONegotiatedHTTPVersion<Connection, (Channel, NIOHTTP2Handler.AsyncStreamMultiplexer<Connection>)>

    /// One accepted TCP connection: its channel (to close it when the emulator stops before the TLS handshake ends)
    /// and the protocol it turns out to speak.
    struct Accepted: Sendable {
        var channel: Channel
        var negotiated: EventLoopFuture<Negotiated>
    }

    typealias Listener = NIOAsyncChannel<Accepted, Never>

    /// The largest request body accepted, as kube-apiserver's 3 MiB limit.
    static let maximumBodySize = 3 * 1024 * 1024

    /// The TLS context for `tls`, offering h2 before http/1.1 by ALPN. Loaded once at start, so a bad path or key
    /// fails `KubeEmulator.start` instead of every handshake.
    static func makeTLSContext(_ tls: KubeEmulatorTLS) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainFile)
        } catch {
            throw KubeEmulatorError("cannot read the TLS certificate chain \(tls.certificateChainFile): \(error)")
        }
        guard !chain.isEmpty else {
            throw KubeEmulatorError("no certificate in the TLS certificate chain \(tls.certificateChainFile)")
        }
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        } catch {
            throw KubeEmulatorError("cannot read the TLS private key \(tls.privateKeyFile): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw KubeEmulatorError("the TLS certificate and key do not make a TLS context: \(error)")
        }
    }

    /// Binds 127.0.0.1 only: the emulator is for tests on this machine. With `tls`, every connection starts with a
    /// TLS handshake and serves the protocol ALPN settles on.
    static func bind(port: Int, tls: NIOSSLContext?) async throws -> Listener {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                guard let tls else {
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        let connection = try Connection(wrappingChannelSynchronously: channel)
                        return Accepted(channel: channel, negotiated: channel.eventLoop.makeSucceededFuture(.http1_1(connection)))
                    }
                }
                do {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return channel.configureAsyncHTTPServerPipeline { http1 in
                    http1.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: http1) }
                } http2ConnectionInitializer: { http2 in
                    http2.eventLoop.makeSucceededFuture(http2)
                } http2StreamInitializer: { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                        return try Connection(wrappingChannelSynchronously: stream)
                    }
                }.map { negotiated in Accepted(channel: channel, negotiated: negotiated) }
            }
    }

    /// Accepts connections until the listener closes or the task is cancelled, each served concurrently.
    static func acceptConnections(_ listener: Listener, handler: APIHandler, control: EmulatorControl,
                                  logger: Logger) async
    {
        do {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in inbound {
                        // Counted before serving, so the count covers every connection a request was answered on.
                        let number = await control.connectionAccepted()
                        group.addTask {
                            await serve(accepted, number: number, handler: handler, control: control, logger: logger)
                        }
                    }
                }
            }
        } catch {
            logger.debug("emulator listener ended", metadata: ["error": "\(error)"])
        }
    }

    /// Waits for the protocol, then serves one HTTP/1 connection, or every stream of one HTTP/2 connection
    /// concurrently (a watch on one stream never holds up requests on the others).
    private static func serve(_ accepted: Accepted, number: Int, handler: APIHandler, control: EmulatorControl,
                              logger: Logger) async
    {
        let channel = accepted.channel
        // Neither the handshake's future nor the stream multiplexer ends by itself when the emulator stops:
        // closing the connection ends both.
        await withTaskCancellationHandler {
            let negotiated: Negotiated
            do {
                negotiated = try await accepted.negotiated.get()
            } catch {
                logger.debug("emulator connection failed before HTTP", metadata: ["error": "\(error)"])
                try? await channel.close()
                return
            }
            switch negotiated {
            case .http1_1(let connection):
                await serve(connection, number: number, handler: handler, control: control, logger: logger)
            case .http2((let connectionChannel, let multiplexer)):
                do {
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await stream in multiplexer.inbound {
                            group.addTask {
                                await serve(stream, number: number, handler: handler, control: control, logger: logger)
                            }
                        }
                    }
                } catch {
                    logger.debug("emulator HTTP/2 connection ended", metadata: ["error": "\(error)"])
                }
                try? await connectionChannel.close()
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Serves the requests of one HTTP/1 connection in turn, or the one request of an HTTP/2 stream.
    private static func serve(_ connection: Connection, number: Int, handler: APIHandler, control: EmulatorControl,
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
                        if requestHead.version.major < 2,
                           requestHead.headers["expect"].contains(where: { $0.lowercased() == "100-continue" })
                        {
                            // libcurl waits a second for this before sending a large body.
                            try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .continue)))
                        }
                    case .body(let buffer):
                        body.append(contentsOf: buffer.readableBytesView)
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let received = ContinuousClock.now
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
                            contentType: request.contentType, status: response.status, userAgent: request.userAgent,
                            httpVersion: protocolName(requestHead.version), connection: number, receivedAt: received))
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

    /// "HTTP/2" rather than NIO's "HTTP/2.0", as kube-apiserver's logs and Go's `Request.Proto` name it.
    static func protocolName(_ version: HTTPVersion) -> String {
        version.major >= 2 ? "HTTP/\(version.major)" : "HTTP/\(version.major).\(version.minor)"
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
            // HTTP/2 frames the body itself and forbids the header.
            if version.major < 2 { headers.add(name: "Transfer-Encoding", value: "chunked") }
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
