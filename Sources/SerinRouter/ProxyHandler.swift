import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request on its way through the router: where it goes and how far it got.
private final class Exchange {
    let clientHead: HTTPRequestHead
    let upstreamHead: HTTPRequestHead
    let target: UpstreamTarget
    let modelName: String
    let start: NIODeadline
    var clientKeepAlive: Bool
    var connection: UpstreamConnection?
    /// Request parts that arrived before the upstream connection was ready (at most one read's worth: reads stop
    /// until it is).
    var pending: [HTTPClientRequestPart] = []
    var requestEnded = false
    var requestTrailers: HTTPHeaders?
    var requestEndForwarded = false
    var bodyForwarded = false
    var responseStatus: HTTPResponseStatus?
    var upstreamKeepsAlive = true
    var attempts = 0

    init(clientHead: HTTPRequestHead, upstreamHead: HTTPRequestHead, target: UpstreamTarget, modelName: String) {
        self.clientHead = clientHead
        self.upstreamHead = upstreamHead
        self.target = target
        self.modelName = modelName
        self.start = .now()
        self.clientKeepAlive = clientHead.isKeepAlive
    }
}

/// The router's handler of one client connection, after NIO's HTTP/1.1 server handlers (which decode, encode and
/// keep pipelined requests in order).
///
/// Bodies stream both ways with backpressure: the client is not read from while the upstream cannot take more
/// (its socket buffer is full) and the upstream is not read from while the client cannot, so a request or answer
/// of any size passes through a bounded amount of memory: NIO's write-buffer watermarks plus one read.
final class ProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: RouterCore
    private let pool: UpstreamConnectionPool
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    /// After a local answer to a request with a body: that body is read and dropped.
    private var discardingRequest = false
    private var clientReadPending = false
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false
    private lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress

    init(core: RouterCore, pool: UpstreamConnectionPool) {
        self.core = core
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        abandonExchange()
        self.context = nil
    }

    // MARK: Client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            receive(head, context: context)
        case .body(let body):
            guard !discardingRequest, let exchange, !exchange.requestEnded else { return }
            forward(.body(.byteBuffer(body)), of: exchange)
        case .end(let trailers):
            if discardingRequest {
                discardingRequest = false
                return
            }
            guard let exchange, !exchange.requestEnded else { return }
            exchange.requestEnded = true
            exchange.requestTrailers = trailers
            forward(.end(trailers), of: exchange)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if upstreamNeedsFlush {
            upstreamNeedsFlush = false
            exchange?.connection?.handler.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        // While a request body streams, read from the client only as fast as the upstream takes it.
        if let exchange, !exchange.requestEnded {
            guard let connection = exchange.connection, connection.handler.isWritable else {
                clientReadPending = true
                return
            }
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            exchange?.connection?.handler.resumeReading()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandonExchange()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.logger.debug("router client connection failed", metadata: ["error": "\(error)"])
        if error is HTTPParserError {
            // A malformed request: what NIO's HTTPServerProtocolErrorHandler would do, without its hop on every
            // request part. 400 unless part of an answer already went out; the connection closes either way.
            let answerStarted = exchange?.responseStatus != nil
            abandonExchange()
            if !answerStarted {
                var headers = HTTPHeaders()
                headers.add(name: "Connection", value: "close")
                headers.add(name: "Content-Length", value: "0")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest,
                                                                     headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
        context.close(promise: nil)
    }

    private func receive(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        discardingRequest = false
        switch RequestPath.target(of: head.uri) {
        case .metrics:
            guard head.method == .GET || head.method == .HEAD else {
                return answerLocally(.methodNotAllowed("/metrics"), to: head)
            }
            let text = PrometheusText.render(core.recorder.allTraffic())
            answerLocally(LocalAnswer(status: .ok, contentType: PrometheusText.contentType, body: text), to: head)
        case .unrecognised:
            answerLocally(.unrecognisedPath(head.uri), to: head)
        case .model(let modelName):
            let pinned = head.headers.first(name: ForwardedHeaders.versionHeader)
            switch core.route(modelName: modelName, pinnedVersion: pinned) {
            case .unknownModel(let name, let known):
                answerLocally(.unknownModel(name, known: known), to: head)
            case .versionNotRouted(let entry, let version):
                answerLocally(.versionNotRouted(entry, version: version), to: head)
            case .noUpstream(let entry):
                let start = NIODeadline.now()
                answerLocally(.noUpstream(entry), to: head)
                core.recorder.counters(for: VersionKey(key: entry.route.key, version: ""))
                    .finish(code: 503, seconds: Self.seconds(since: start), begun: false)
            case .forward(let target, let entry):
                start(head, to: target, modelName: entry.route.modelName, context: context)
            }
        }
    }

    /// Starts forwarding; the request is already counted in flight (by `RouterCore.route`).
    private func start(_ head: HTTPRequestHead, to target: UpstreamTarget, modelName: String,
                       context: ChannelHandlerContext)
    {
        if head.headers.contains(name: "expect"),
           head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" })
        {
            // Clients that ask wait for this before sending a body (libcurl for a second); the body streams
            // to the upstream as it comes, so the go-ahead can be given at once.
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                  promise: nil)
        }
        let upstreamHead = ForwardedHeaders.upstreamRequest(head, hostHeader: target.hostHeader,
                                                            clientAddress: clientAddress)
        let exchange = Exchange(clientHead: head, upstreamHead: upstreamHead, target: target, modelName: modelName)
        self.exchange = exchange
        connect(exchange, duringClientRead: true)
    }

    // MARK: Upstream connection

    /// Sends the exchange upstream on a pooled connection or a new one. During a client read the flush waits for
    /// the read's end, so a head and a body that arrived together leave in one write.
    private func connect(_ exchange: Exchange, duringClientRead: Bool) {
        exchange.attempts += 1
        if let connection = pool.lease(exchange.target.address) {
            attach(connection, to: exchange)
            if duringClientRead {
                upstreamNeedsFlush = true
            } else {
                connection.handler.flush()
            }
            return
        }
        pool.connect(exchange.target.address, socketAddress: exchange.target.socketAddress) { [self] result in
            guard self.exchange === exchange else {
                // The client left meanwhile: keep the fresh connection for the next request.
                if case .success(let connection) = result { pool.release(connection) }
                return
            }
            switch result {
            case .success(let connection):
                attach(connection, to: exchange)
                connection.handler.flush()
            case .failure(let error):
                fail(exchange, reason: Self.describe(error))
            }
        }
    }

    private func attach(_ connection: UpstreamConnection, to exchange: Exchange) {
        exchange.connection = connection
        connection.handler.exchange = self
        connection.handler.write(.head(exchange.upstreamHead))
        let pending = exchange.pending
        exchange.pending = []
        for part in pending {
            write(part, of: exchange, to: connection)
        }
        if clientReadPending && connection.handler.isWritable {
            clientReadPending = false
            context?.read()
        }
    }

    private func forward(_ part: HTTPClientRequestPart, of exchange: Exchange) {
        guard let connection = exchange.connection else {
            exchange.pending.append(part)
            return
        }
        write(part, of: exchange, to: connection)
        upstreamNeedsFlush = true
    }

    private func write(_ part: HTTPClientRequestPart, of exchange: Exchange, to connection: UpstreamConnection) {
        switch part {
        case .body: exchange.bodyForwarded = true
        case .end: exchange.requestEndForwarded = true
        case .head: break
        }
        connection.handler.write(part)
    }

    // MARK: Ending

    /// The upstream failed before answering (or could not be reached): retry once on a new connection when the
    /// request can be replayed, else answer 502.
    private func fail(_ exchange: Exchange, reason: String) {
        let connection = exchange.connection
        exchange.connection = nil
        connection?.handler.close()
        if exchange.responseStatus == nil, let connection, connection.requestsCarried > 0, !exchange.bodyForwarded,
           exchange.attempts < 2
        {
            // A pooled connection the upstream closed while it idled; nothing of the request but its head went out,
            // so it can be sent again.
            core.logger.debug("router retrying on a new upstream connection",
                              metadata: ["upstream": "\(exchange.target.address)", "reason": "\(reason)"])
            exchange.requestEndForwarded = false
            exchange.pending = exchange.requestEnded ? [.end(exchange.requestTrailers)] : []
            connect(exchange, duringClientRead: false)
            return
        }
        core.logger.info("router upstream failed",
                         metadata: ["model": "\(exchange.modelName)", "version": "\(exchange.target.version)",
                                    "upstream": "\(exchange.target.address)", "reason": "\(reason)"])
        guard exchange.responseStatus == nil else {
            // Part of the answer went out: the client can only learn of the failure from the connection closing.
            finish(exchange, code: 502)
            context?.close(promise: nil)
            return
        }
        if !exchange.requestEnded {
            // The rest of the body will not be read; the connection cannot carry another request after it.
            exchange.clientKeepAlive = false
        }
        finish(exchange, code: 502)
        answerLocally(.upstreamUnreachable(exchange.target, modelName: exchange.modelName, reason: reason),
                      to: exchange.clientHead, keepAlive: exchange.clientKeepAlive, discardBody: false)
    }

    /// Records the request and lets go of the upstream connection: back to the pool when the upstream keeps it
    /// and both messages ended cleanly on it, closed otherwise.
    private func finish(_ exchange: Exchange, code: Int) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        exchange.target.counters.finish(code: code, seconds: Self.seconds(since: exchange.start))
        if let connection = exchange.connection {
            exchange.connection = nil
            if exchange.responseStatus != nil, exchange.upstreamKeepsAlive, exchange.requestEndForwarded {
                pool.release(connection)
            } else {
                connection.handler.close()
            }
        }
        if clientReadPending {
            clientReadPending = false
            context?.read()
        }
    }

    /// The client went away or the handler is leaving the pipeline: the exchange ends where it is.
    private func abandonExchange() {
        guard let exchange else { return }
        let connection = exchange.connection
        exchange.connection = nil
        connection?.handler.close()
        finish(exchange, code: exchange.responseStatus.map { Int($0.code) } ?? 499)
    }

    private func answerLocally(_ answer: LocalAnswer, to head: HTTPRequestHead) {
        // A client that waits for 100 Continue may not send its body at all after a final answer: close then.
        let awaitsContinue = head.headers.contains(name: "expect")
        answerLocally(answer, to: head, keepAlive: head.isKeepAlive && !awaitsContinue, discardBody: true)
    }

    private func answerLocally(_ answer: LocalAnswer, to head: HTTPRequestHead, keepAlive: Bool, discardBody: Bool) {
        guard let context else { return }
        discardingRequest = discardBody
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        ForwardedHeaders.addConnectionManagement(to: &headers, clientVersion: head.version, keepAlive: keepAlive)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status,
                                                             headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))),
                          promise: nil)
        }
        endResponse(keepAlive: keepAlive, trailers: nil)
    }

    /// Writes the end of an answer and flushes; closes the client connection afterwards unless it is kept alive.
    private func endResponse(keepAlive: Bool, trailers: HTTPHeaders?) {
        guard let context else { return }
        clientNeedsFlush = false
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private static func seconds(since start: NIODeadline) -> Double {
        Double((NIODeadline.now() - start).nanoseconds) / 1e9
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return "\(first.error)"
        }
        if error is ChannelError, case ChannelError.connectTimeout = error {
            return "no connection within the connect timeout"
        }
        return "\(error)"
    }
}

// MARK: Upstream side

extension ProxyHandler: UpstreamExchange {
    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        guard let exchange, let context else { return }
        exchange.responseStatus = head.status
        exchange.upstreamKeepsAlive = head.isKeepAlive
        if !exchange.requestEnded {
            // The upstream answers before the whole request arrived (413, say): the rest of the body will not be
            // forwarded, so this client connection ends with the answer.
            exchange.clientKeepAlive = false
        }
        let clientVersion = exchange.clientHead.version
        if clientVersion.major == 1, clientVersion.minor == 0, !head.headers.contains(name: "content-length"),
           exchange.clientHead.method != .HEAD, head.status.mayHaveResponseBody
        {
            // HTTP/1.0 has no chunked framing: the body's end is the connection's end.
            exchange.clientKeepAlive = false
        }
        let clientHead = ForwardedHeaders.clientResponse(head, clientVersion: clientVersion,
                                                         keepAlive: exchange.clientKeepAlive,
                                                         servedBy: exchange.target.version)
        context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        clientNeedsFlush = true
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard exchange?.responseStatus != nil, let context else { return }
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        clientNeedsFlush = true
    }

    func upstreamResponseEnd(_ trailers: HTTPHeaders?) {
        guard let exchange, let status = exchange.responseStatus else { return }
        if !exchange.requestEndForwarded {
            exchange.upstreamKeepsAlive = false
        }
        let keepAlive = exchange.clientKeepAlive
        finish(exchange, code: Int(status.code))
        endResponse(keepAlive: keepAlive, trailers: trailers)
    }

    func upstreamReadComplete() {
        if clientNeedsFlush {
            clientNeedsFlush = false
            context?.flush()
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable, clientReadPending {
            clientReadPending = false
            context?.read()
        }
    }

    func upstreamFailed(_ error: (any Error)?) {
        guard let exchange else { return }
        if clientNeedsFlush {
            clientNeedsFlush = false
            context?.flush()
        }
        fail(exchange, reason: error.map(Self.describe) ?? "the connection closed before the answer ended")
    }
}
