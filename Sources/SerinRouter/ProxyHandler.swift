import Logging
import NIOCore
import NIOHTTP1

/// One request on its way through the router: where it goes and how far it got.
private final class Exchange {
    let clientVersion: HTTPVersion
    let isHEAD: Bool
    let upstreamHead: ByteBuffer
    let target: UpstreamTarget
    let modelName: String
    let start: NIODeadline
    var clientKeepAlive: Bool
    var connection: UpstreamConnection?
    /// Body bytes that arrived before the upstream connection was ready (at most one read's worth: reads stop
    /// until it is).
    var pending: [ByteBuffer] = []
    var requestEnded: Bool
    var bodyForwarded = false
    var responseStatus: Int?
    var upstreamKeepsAlive = true
    var attempts = 0
    /// When the upstream last gave a sign of life: the request's last byte going out, or a read of its answer.
    var upstreamActivity: NIODeadline

    /// `start` is when the client's bytes holding the head were read.
    init(head: RequestHead, upstreamHead: ByteBuffer, target: UpstreamTarget, modelName: String, start: NIODeadline) {
        self.clientVersion = head.version
        self.isHEAD = head.isHEAD
        self.upstreamHead = upstreamHead
        self.target = target
        self.modelName = modelName
        self.start = start
        self.upstreamActivity = start
        self.clientKeepAlive = head.keepAlive
        self.requestEnded = head.framing == .none
    }
}

/// The router's handler of one client connection, working on the connection's bytes: it finds where each request's
/// head and body end (`HTTPHeadParser`, `MessageBody`), rewrites the head (`ForwardedHeaders`) and forwards the body
/// as the bytes it came in, and the answer the same way back. Nothing is decoded that routing does not need, which
/// halves what a request costs the router against decoding and re-encoding both messages.
///
/// Requests on one connection are answered in order: a pipelined request waits, unread past one read's worth of
/// bytes, until the answer before it has ended. Bodies stream both ways with backpressure: the client is not read
/// from while the upstream cannot take more (its socket buffer is full) and the upstream is not read from while the
/// client cannot, so a request or answer of any size passes through a bounded amount of memory: NIO's write-buffer
/// watermarks plus one read.
final class ProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: RouterCore
    private let pool: UpstreamConnectionPool
    private let sweep: ConnectionSweep
    /// Since when the connection has waited for a request: its opening, or the end of its last answer.
    private var idleSince = NIODeadline.now()
    /// When the client's bytes being taken apart were read: one clock read per read serves every timestamp taken
    /// while handling them.
    private var readTime = NIODeadline.now()
    private var context: ChannelHandlerContext?
    /// Client bytes not yet taken apart: the rest of a head, or requests pipelined behind the current one.
    private var inbound = ByteBuffer()
    private var headSearch = HeadSearch()
    private var exchange: Exchange?
    /// The body of the request being read, while it lasts: forwarded with the exchange, or dropped after a local
    /// answer.
    private var requestBody: MessageBody?
    private var discardingBody = false
    /// The connection ends after the answer being written; nothing more is read.
    private var closing = false
    /// The router is stopping: the connection ends after the answer in flight.
    private var quiescing = false
    private var clientReadPending = false
    /// Storage reused from one request to the next: the last head's fields, and the buffer the last head sent
    /// upstream was written into (reused only once the socket has taken it, when nothing else holds it).
    private var fieldStorage: [HeadField] = []
    private var upstreamHeadStorage = ByteBuffer()
    private var clientHeadStorage = ByteBuffer()
    /// An answer's head held back so that it leaves in one write with the first bytes of its body.
    private var pendingClientHead: ByteBuffer?

    /// Bodies up to this size are copied behind their head into one buffer: one write through the pipeline
    /// instead of two costs less than the copy.
    private static let coalescedBodySize = 16 * 1024
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false
    private lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress

    init(core: RouterCore, pool: UpstreamConnectionPool, sweep: ConnectionSweep) {
        self.core = core
        self.pool = pool
        self.sweep = sweep
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        idleSince = .now()
        sweep.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweep.remove(self)
        abandonExchange()
        self.context = nil
    }

    /// Applies the two timeouts (`ConnectionSweep`): closes the connection if no request is in flight on it and
    /// it has waited for one since before `idleBefore`; ends the request in flight with 504 if its upstream has
    /// given no sign of life since before `upstreamSilentBefore`.
    func enforceTimeouts(idleBefore: NIODeadline, upstreamSilentBefore: NIODeadline) {
        guard !closing, let context else { return }
        if let exchange {
            // A client that is not reading holds the upstream back: that silence is not the upstream's.
            if exchange.requestEnded, exchange.upstreamActivity < upstreamSilentBefore, context.channel.isWritable {
                upstreamTimedOut(exchange)
            }
            return
        }
        guard requestBody == nil, idleSince < idleBefore else { return }
        core.logger.debug("router closed an idle client connection",
                          metadata: ["client": "\(clientAddress ?? "unknown")",
                                     "unfinishedHeadBytes": "\(inbound.readableBytes)"])
        closing = true
        context.close(promise: nil)
    }

    private func upstreamTimedOut(_ exchange: Exchange) {
        let timeout = core.configuration.upstreamTimeout
        core.logger.info("router upstream timed out",
                         metadata: ["model": "\(exchange.target.key)", "modelName": "\(exchange.modelName)",
                                    "version": "\(exchange.target.version)",
                                    "upstream": "\(exchange.target.address)", "timeout": "\(timeout)"])
        let connection = exchange.connection
        exchange.connection = nil
        connection?.handler.close()
        end(exchange, failedWith: 504,
            answer: .upstreamTimedOut(exchange.target, modelName: exchange.modelName, timeout: timeout))
    }

    // MARK: Client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        readTime = .now()
        var buffer = unwrapInboundIn(data)
        if inbound.readableBytes == 0 {
            inbound = buffer
        } else {
            inbound.writeBuffer(&buffer)
        }
        process()
    }

    /// Takes apart what the client sent, as far as the exchange in progress allows, then reads on if a read was
    /// held back and may go ahead now.
    private func process() {
        processInbound()
        if inbound.readableBytes == 0, inbound.capacity > 0 {
            // Holding the spent bytes would keep NIO from reusing the buffer they were read into: the next read on
            // this event loop would allocate a new one.
            inbound = ByteBuffer()
        }
        if upstreamNeedsFlush {
            // Once per batch of client bytes, so a head and a body that arrived together leave in one write.
            upstreamNeedsFlush = false
            exchange?.connection?.handler.flush()
        }
        if clientReadPending, !closing {
            clientReadPending = false
            // Through the pipeline, so that `read(context:)` decides again.
            context?.channel.read()
        }
    }

    private func processInbound() {
        while !closing {
            if requestBody != nil {
                guard inbound.readableBytes > 0, takeRequestBody() else { return }
                continue
            }
            // A request waits for its answer; what the client pipelined behind it stays where it is.
            guard exchange == nil, inbound.readableBytes > 0 else { return }
            if headSearch.isAtStart {
                // Empty lines before a request line are ignored (RFC 9112 §2.2): some clients end a body with one.
                while inbound.readableBytes >= 2, inbound.getInteger(at: inbound.readerIndex, as: UInt16.self)
                    == UInt16(HTTPBytes.cr) << 8 | UInt16(HTTPBytes.lf)
                {
                    inbound.moveReaderIndex(forwardBy: 2)
                }
            }
            let length: Int
            switch headSearch.search(inbound) {
            case .complete(let found): length = found
            case .incomplete: return
            case .tooLarge:
                return refuse(HTTPHeadError(kind: .tooLarge, reason: "the request head is larger than "
                    + "\(HTTPHeadParser.maximumHeadSize) bytes"))
            }
            guard let bytes = inbound.readSlice(length: length) else { return }
            // Moved out and back, so that the parser finds the storage uniquely held once the last head is gone.
            var fields = fieldStorage
            fieldStorage = []
            let head: RequestHead
            do {
                head = try HTTPHeadParser.request(bytes, fields: &fields)
            } catch {
                return refuse(error)
            }
            receive(head)
            fieldStorage = fields
        }
    }

    /// Passes the next bytes of the current request's body on (or drops them after a local answer). Returns
    /// whether the body ended.
    private func takeRequestBody() -> Bool {
        guard var body = requestBody else { return true }
        let scan: MessageBody.Scan
        do {
            scan = try inbound.withUnsafeReadableBytes { bytes throws(MessageBody.FramingError) in try body.scan(bytes) }
        } catch {
            requestBody = nil
            let answered = exchange?.responseStatus != nil
            if let exchange {
                exchange.connection?.handler.close()
                exchange.connection = nil
                finish(exchange, code: 400)
            }
            if answered {
                closing = true
                context?.close(promise: nil)
            } else {
                refuse(HTTPHeadError.malformed("the request's chunked body is malformed: \(error)"))
            }
            return false
        }
        requestBody = scan.ended ? nil : body
        guard let part = inbound.readSlice(length: scan.consumed) else { return false }
        if !discardingBody, let exchange {
            if part.readableBytes > 0 { forward(part, of: exchange) }
            if scan.ended {
                exchange.requestEnded = true
                exchange.upstreamActivity = readTime
            }
        }
        if inbound.readableBytes == 0 { inbound = ByteBuffer() }
        return scan.ended
    }

    func read(context: ChannelHandlerContext) {
        guard !closing else { return }
        if let exchange {
            if !exchange.requestEnded {
                // While a request body streams, read from the client only as fast as the upstream takes it.
                guard let connection = exchange.connection, connection.handler.isWritable else {
                    clientReadPending = true
                    return
                }
            } else if inbound.readableBytes > 0 {
                // A pipelined request waits for the answer before it: read no more behind it.
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        if exchange == nil, requestBody == nil {
            closing = true
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.logger.debug("router client connection failed", metadata: ["error": "\(error)"])
        abandonExchange()
        closing = true
        context.close(promise: nil)
    }

    private func receive(_ head: RequestHead) {
        discardingBody = false
        let target = head.withTarget(RequestPath.target(of:))
        switch target {
        case .metrics:
            guard head.isHEAD || head.methodIs("GET") else {
                return answerLocally(.methodNotAllowed("/metrics"), to: head)
            }
            let text = PrometheusText.render(core.recorder.allTraffic())
            answerLocally(LocalAnswer(status: .ok, contentType: PrometheusText.contentType, body: text), to: head)
        case .serverLive, .serverReady, .serverMetadata:
            guard head.isHEAD || head.methodIs("GET") else {
                return answerLocally(.methodNotAllowed(head.uri), to: head)
            }
            let answer: LocalAnswer = switch target {
            case .serverReady: .serverReady(core.routingTable)
            case .serverMetadata: .serverMetadata(version: core.configuration.serverVersion)
            default: .serverLive
            }
            answerLocally(answer, to: head)
        case .unrecognised:
            answerLocally(.unrecognisedPath(head.uri), to: head)
        case .model(let modelName):
            switch core.route(modelName: modelName, pinnedVersion: head.pinnedVersion) {
            case .unknownModel(let name, let known):
                answerLocally(.unknownModel(name, known: known), to: head)
            case .versionNotRouted(let entry, let version):
                answerLocally(.versionNotRouted(entry, version: version), to: head)
            case .noUpstream(let entry):
                let start = readTime
                answerLocally(.noUpstream(entry), to: head)
                core.recorder.counters(for: VersionKey(key: entry.route.key, version: ""))
                    .finish(code: 503, seconds: Self.seconds(from: start, to: .now()), begun: false)
            case .forward(let target, let entry):
                start(head, to: target, modelName: entry.route.modelName)
            }
        }
    }

    /// Starts forwarding; the request is already counted in flight (by `RouterCore.route`).
    private func start(_ head: RequestHead, to target: UpstreamTarget, modelName: String) {
        guard let context else { return }
        if head.expectsContinue {
            // Clients that ask wait for this before sending a body (libcurl for a second); the body streams
            // to the upstream as it comes, so the go-ahead can be given at once.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head.version.minor == 0
                    ? "HTTP/1.0 100 Continue\r\n\r\n" : "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
        var upstreamHead = upstreamHeadStorage
        upstreamHeadStorage = ByteBuffer()
        upstreamHead.clear()
        ForwardedHeaders.writeUpstreamRequest(head, hostHeader: target.hostHeader, clientAddress: clientAddress,
                                              into: &upstreamHead)
        var bodyEmbedded = false
        if case .length(let length) = head.framing, length <= Self.coalescedBodySize, inbound.readableBytes >= length,
           var body = inbound.readSlice(length: length)
        {
            // The whole body came with its head (the usual inference request): it leaves in the same write.
            upstreamHead.writeBuffer(&body)
            bodyEmbedded = true
        }
        upstreamHeadStorage = upstreamHead
        let exchange = Exchange(head: head, upstreamHead: upstreamHead, target: target, modelName: modelName,
                                start: readTime)
        if quiescing { exchange.clientKeepAlive = false }
        self.exchange = exchange
        if bodyEmbedded {
            exchange.requestEnded = true
            exchange.bodyForwarded = true
            requestBody = nil
        } else {
            requestBody = head.framing == .none ? nil : MessageBody(head.framing)
        }
        connect(exchange, duringClientRead: true)
    }

    // MARK: Upstream connection

    /// Sends the exchange upstream on a pooled connection or a new one. While the client's bytes are being taken
    /// apart the flush waits for `process` to finish them, so a head and a body that arrived together leave in one
    /// write.
    private func connect(_ exchange: Exchange, duringClientRead: Bool) {
        exchange.attempts += 1
        if let connection = pool.lease(exchange.target.address, at: duringClientRead ? readTime : .now()) {
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
                fail(exchange, reason: UpstreamConnectionHandler.describe(error))
            }
        }
    }

    private func attach(_ connection: UpstreamConnection, to exchange: Exchange) {
        exchange.connection = connection
        connection.handler.exchange = self
        connection.handler.begin(isHEAD: exchange.isHEAD)
        connection.handler.write(exchange.upstreamHead)
        let pending = exchange.pending
        exchange.pending = []
        for part in pending {
            exchange.bodyForwarded = true
            connection.handler.write(part)
        }
        if clientReadPending && connection.handler.isWritable {
            clientReadPending = false
            context?.channel.read()
        }
    }

    private func forward(_ part: ByteBuffer, of exchange: Exchange) {
        guard let connection = exchange.connection else {
            exchange.pending.append(part)
            return
        }
        exchange.bodyForwarded = true
        connection.handler.write(part)
        upstreamNeedsFlush = true
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
            connect(exchange, duringClientRead: false)
            return
        }
        core.logger.info("router upstream failed",
                         metadata: ["model": "\(exchange.target.key)", "modelName": "\(exchange.modelName)",
                                    "version": "\(exchange.target.version)",
                                    "upstream": "\(exchange.target.address)", "reason": "\(reason)"])
        if !exchange.requestEnded {
            // The rest of the body will not be read; the connection cannot carry another request after it.
            exchange.clientKeepAlive = false
        }
        end(exchange, failedWith: 502,
            answer: .upstreamUnreachable(exchange.target, modelName: exchange.modelName, reason: reason))
    }

    /// Ends an exchange its upstream failed, counted as `code`. The client gets `answer` when no part of the
    /// upstream's answer went out; otherwise it can only learn of the failure from its connection closing, after
    /// what was written.
    private func end(_ exchange: Exchange, failedWith code: Int, answer: @autoclosure () -> LocalAnswer) {
        guard exchange.responseStatus == nil else {
            writePendingClientHead()
            finish(exchange, code: code)
            endResponse(keepAlive: false)
            return
        }
        finish(exchange, code: code)
        write(answer(), version: exchange.clientVersion, isHEAD: exchange.isHEAD, keepAlive: exchange.clientKeepAlive)
        if exchange.clientKeepAlive {
            readTime = .now()
            process()
        }
    }

    /// Records the request as ended `now` and lets go of the upstream connection: back to the pool when the
    /// upstream keeps it and both messages ended cleanly on it, closed otherwise.
    private func finish(_ exchange: Exchange, code: Int, now: NIODeadline = .now()) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        pendingClientHead = nil
        exchange.target.counters.finish(code: code, seconds: Self.seconds(from: exchange.start, to: now))
        if let connection = exchange.connection {
            exchange.connection = nil
            if exchange.responseStatus != nil, exchange.upstreamKeepsAlive, exchange.requestEnded {
                pool.release(connection, at: now)
            } else {
                connection.handler.close()
            }
        }
    }

    /// The client went away or the handler is leaving the pipeline: the exchange ends where it is.
    private func abandonExchange() {
        guard let exchange else { return }
        let connection = exchange.connection
        exchange.connection = nil
        connection?.handler.close()
        finish(exchange, code: exchange.responseStatus ?? 499)
    }

    /// Answers a request the router does not forward. Its body, if any, is read and dropped.
    private func answerLocally(_ answer: LocalAnswer, to head: RequestHead) {
        // A client that waits for 100 Continue may not send its body at all after a final answer: close then.
        let keepAlive = head.keepAlive && head.semantics.expect == nil && !quiescing
        if keepAlive, head.framing != .none {
            requestBody = MessageBody(head.framing)
            discardingBody = true
        }
        write(answer, version: head.version, isHEAD: head.isHEAD, keepAlive: keepAlive)
    }

    /// A request that is not HTTP/1.1 as the router reads it: 400 (431 for a head too large, 505 for another
    /// protocol version), and the connection closes, since where the next request would start is unknown.
    private func refuse(_ error: HTTPHeadError) {
        core.logger.debug("router refused a malformed request", metadata: ["reason": "\(error.reason)"])
        requestBody = nil
        let status: HTTPResponseStatus = switch error.kind {
        case .malformed: .badRequest
        case .tooLarge: .requestHeaderFieldsTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        }
        write(.error(status, "the request is not valid HTTP/1.1: \(error.reason)"), version: .http1_1, isHEAD: false,
              keepAlive: false)
    }

    private func write(_ answer: LocalAnswer, version: HTTPVersion, isHEAD: Bool, keepAlive: Bool) {
        guard let context else { return }
        context.write(wrapOutboundOut(answer.serialized(version: version, isHEAD: isHEAD, keepAlive: keepAlive,
                                                        allocator: context.channel.allocator)), promise: nil)
        endResponse(keepAlive: keepAlive)
    }

    /// Flushes the end of an answer, written `now`; closes the client connection afterwards unless it is kept
    /// alive, else goes on with what the client pipelined.
    private func endResponse(keepAlive: Bool, now: NIODeadline = .now()) {
        guard let context else { return }
        clientNeedsFlush = false
        guard keepAlive else {
            closing = true
            requestBody = nil
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        context.flush()
        idleSince = now
        if quiescing, exchange == nil, requestBody == nil {
            closing = true
            context.close(promise: nil)
        }
    }

    private static func seconds(from start: NIODeadline, to end: NIODeadline) -> Double {
        Double((end - start).nanoseconds) / 1e9
    }
}

// MARK: Upstream side

extension ProxyHandler: UpstreamExchange {
    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func upstreamResponseHead(_ head: ResponseHead, at now: NIODeadline) -> Bool {
        guard let exchange, context != nil else { return false }
        exchange.responseStatus = head.status
        exchange.upstreamActivity = now
        exchange.upstreamKeepsAlive = head.keepAlive
        if !exchange.requestEnded {
            // The upstream answers before the whole request arrived (413, say): the rest of the body will not be
            // forwarded, so this client connection ends with the answer.
            exchange.clientKeepAlive = false
        }
        var dechunk = false
        switch head.framing {
        case .untilClose:
            // The answer's end is its connection's end, for the client too.
            exchange.clientKeepAlive = false
        case .chunked where exchange.clientVersion.minor == 0:
            // HTTP/1.0 has no chunked framing: the client gets the content, and its end is the connection's end.
            dechunk = true
            exchange.clientKeepAlive = false
        case .none, .length, .chunked:
            break
        }
        if quiescing { exchange.clientKeepAlive = false }
        // Held only by `pendingClientHead` until written, so that the body's first bytes join it without a copy.
        var clientHead = clientHeadStorage
        clientHeadStorage = ByteBuffer()
        clientHead.clear()
        ForwardedHeaders.writeClientResponse(head, clientVersion: exchange.clientVersion,
                                             keepAlive: exchange.clientKeepAlive, servedBy: exchange.target.version,
                                             dechunked: dechunk, into: &clientHead)
        pendingClientHead = clientHead
        clientNeedsFlush = true
        return dechunk
    }

    func upstreamResponseBody(_ body: ByteBuffer, at now: NIODeadline) {
        guard let exchange, exchange.responseStatus != nil, let context else { return }
        exchange.upstreamActivity = now
        clientNeedsFlush = true
        if body.readableBytes <= Self.coalescedBodySize, var head = pendingClientHead {
            pendingClientHead = nil
            var body = body
            head.writeBuffer(&body)
            clientHeadStorage = head
            context.write(wrapOutboundOut(head), promise: nil)
            return
        }
        writePendingClientHead()
        context.write(wrapOutboundOut(body), promise: nil)
    }

    /// Writes an answer's head held back for its body, before anything else goes to the client.
    private func writePendingClientHead() {
        guard let head = pendingClientHead else { return }
        pendingClientHead = nil
        clientHeadStorage = head
        context?.write(wrapOutboundOut(head), promise: nil)
    }

    func upstreamResponseEnd(reusable: Bool, at now: NIODeadline) {
        guard let exchange, let status = exchange.responseStatus else { return }
        if !reusable { exchange.upstreamKeepsAlive = false }
        writePendingClientHead()
        let keepAlive = exchange.clientKeepAlive
        finish(exchange, code: status, now: now)
        endResponse(keepAlive: keepAlive, now: now)
        // What the client pipelined behind this request goes next, as if read now.
        if keepAlive {
            readTime = now
            process()
        }
    }

    func upstreamReadComplete() {
        writePendingClientHead()
        if clientNeedsFlush {
            clientNeedsFlush = false
            context?.flush()
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable, clientReadPending {
            clientReadPending = false
            context?.channel.read()
        }
    }

    func upstreamFailed(_ reason: String?) {
        guard let exchange else { return }
        writePendingClientHead()
        if clientNeedsFlush {
            clientNeedsFlush = false
            context?.flush()
        }
        fail(exchange, reason: reason ?? "the connection closed before the answer ended")
    }
}
