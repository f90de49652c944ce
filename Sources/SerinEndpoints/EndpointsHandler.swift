import Logging
import NIOCore
import NIOHTTP1

/// The handler of one connection to the endpoints server, after NIO's HTTP/1.1 server handlers (which decode,
/// encode and keep pipelined requests in order). Thin: webhook verdicts come from `WebhookReceiver`, answers from
/// `EndpointAnswer`; this only moves bytes and enforces the body limit.
///
/// A webhook body is kept up to the limit and no further: a larger `Content-Length` is refused with 413 before a
/// byte of the body is read, and a chunked body is refused the moment it passes the limit. After such an early
/// refusal the connection closes its sending side, then drops (without keeping) what the client still sends for
/// a short while, so that the client reads the 413 instead of a connection reset; then it closes.
final class EndpointsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What to answer once a request without a webhook body ends.
    private enum Pending {
        case route(EndpointRoute)
        case answer(EndpointAnswer)
    }

    private enum State {
        case idle
        /// A webhook request whose body is being collected, up to the limit.
        case collecting(HTTPRequestHead, WebhookEndpoint, ByteBuffer)
        /// A request answered when it ends; its body (if any) is counted and dropped.
        case answerAtEnd(HTTPRequestHead, Pending, bodyBytes: Int)
        /// Refused before its body was read: the rest is dropped until the request ends, the client closes, the
        /// drain limit is reached or the linger time is up.
        case draining(droppedBytes: Int)
    }

    /// How long a refused client gets to stop sending before the connection closes anyway.
    static let lingerTime = TimeAmount.seconds(2)

    private let core: EndpointsCore
    private var state = State.idle
    private var lingerTask: Scheduled<Void>?
    /// While draining: whether the refusal was written out, and whether the refused request has ended. The
    /// connection closes when both are true (closing earlier could drop an answer still queued).
    private var refusalWritten = false
    private var refusedRequestEnded = false

    init(core: EndpointsCore) {
        self.core = core
    }

    private var maximumBodySize: Int { core.configuration.maximumBodySize }

    /// The most a refused request may still send before the connection is cut.
    private var drainLimit: Int { 2 * maximumBodySize }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // After a refusal the connection only drains: a request pipelined behind it is not served.
            if case .draining = state { return }
            receive(head, context: context)
        case .body(let chunk):
            receive(chunk, context: context)
        case .end:
            receiveEnd(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            core.logger.debug("endpoints connection idle, closing",
                              metadata: ["remote": "\(Self.remote(context))"])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingerTask?.cancel()
        lingerTask = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.logger.debug("endpoints connection failed", metadata: ["error": "\(error)", "remote": "\(Self.remote(context))"])
        context.close(promise: nil)
    }

    private func receive(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let route = EndpointRoute(uri: head.uri)
        guard route != .notFound else {
            return refuse(.notFound(head.uri), to: head, context: context)
        }
        guard route.allowedMethods.contains(head.method) else {
            let answer = EndpointAnswer.methodNotAllowed(head.method, route: route, path: Self.path(of: head.uri))
            if case .webhook(let endpoint) = route {
                let outcome = WebhookOutcome(result: .methodNotAllowed, message: "\(endpoint.path) answers POST only")
                record(outcome, endpoint: endpoint, head: head, context: context)
            }
            return refuse(answer, to: head, context: context)
        }
        guard case .webhook(let endpoint) = route else {
            state = .answerAtEnd(head, .route(route), bodyBytes: 0)
            return
        }
        let receiver = core.receiver(endpoint)
        guard receiver.isEnabled else {
            let outcome = receiver.receive(WebhookRequest(headers: [], body: []))
            record(outcome, endpoint: endpoint, head: head, context: context)
            return refuse(.webhook(outcome), to: head, context: context)
        }
        let declaredLength = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declaredLength, declaredLength > maximumBodySize {
            return refuseTooLarge(head, endpoint: endpoint, declaredLength: declaredLength, context: context)
        }
        if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            // Clients that ask (libcurl, for bodies over 1 KiB or 1 MiB) wait for this before they send the body.
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                  promise: nil)
        }
        let capacity = min(declaredLength ?? 4096, maximumBodySize)
        state = .collecting(head, endpoint, context.channel.allocator.buffer(capacity: capacity))
    }

    private func receive(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        switch state {
        case .collecting(let head, let endpoint, var body):
            guard body.readableBytes + chunk.readableBytes <= maximumBodySize else {
                return refuseTooLarge(head, endpoint: endpoint, declaredLength: nil, context: context)
            }
            state = .idle  // so `body` is uniquely referenced and the append does not copy it
            body.writeImmutableBuffer(chunk)
            state = .collecting(head, endpoint, body)
        case .answerAtEnd(let head, let pending, let bodyBytes):
            let total = bodyBytes + chunk.readableBytes
            guard total <= maximumBodySize else {
                return refuseEarly(.tooLarge(limit: maximumBodySize), to: head, context: context)
            }
            state = .answerAtEnd(head, pending, bodyBytes: total)
        case .draining(let dropped):
            let total = dropped + chunk.readableBytes
            if total > drainLimit {
                context.close(promise: nil)
            }
            state = .draining(droppedBytes: total)
        case .idle:
            break
        }
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        let current = state
        state = .idle
        switch current {
        case .collecting(let head, let endpoint, let body):
            handleWebhook(head, endpoint: endpoint, body: body, context: context)
        case .answerAtEnd(let head, .answer(let answer), _):
            write(answer, to: head, keepAlive: head.isKeepAlive, context: context)
        case .answerAtEnd(let head, .route(let route), _):
            write(answer(for: route), to: head, keepAlive: head.isKeepAlive, context: context)
        case .draining:
            // The refused request is over: once its answer is out, nothing more will be read here.
            state = current
            refusedRequestEnded = true
            if refusalWritten { context.close(promise: nil) }
        case .idle:
            break
        }
    }

    // MARK: Answers

    private func answer(for route: EndpointRoute) -> EndpointAnswer {
        switch route {
        case .healthz:
            return .json(.ok, ["status": .string("alive")])
        case .readyz:
            switch core.readiness() {
            case .ready:
                return .json(.ok, ["status": .string("ready")])
            case .notReady(let reason):
                return .json(.serviceUnavailable, ["status": .string("not ready"), "reason": .string(reason)])
            }
        case .metrics:
            return EndpointAnswer(status: .ok, contentType: SerinMetrics.contentType, body: core.metrics.exposition())
        case .webhook, .notFound:
            return .notFound("")
        }
    }

    private func handleWebhook(_ head: HTTPRequestHead, endpoint: WebhookEndpoint, body: ByteBuffer,
                               context: ChannelHandlerContext)
    {
        let request = WebhookRequest(headers: head.headers.map { (name: $0.name, value: $0.value) },
                                     body: Array(body.readableBytesView))
        let outcome = core.receiver(endpoint).receive(request)
        record(outcome, endpoint: endpoint, head: head, context: context)
        if outcome.triggersSync { core.syncNow() }
        write(.webhook(outcome), to: head, keepAlive: head.isKeepAlive, context: context)
    }

    private func refuseTooLarge(_ head: HTTPRequestHead, endpoint: WebhookEndpoint, declaredLength: Int?,
                                context: ChannelHandlerContext)
    {
        let outcome = WebhookOutcome(
            result: .tooLarge,
            message: "the body is larger than \(maximumBodySize) bytes"
                + (declaredLength.map { " (Content-Length \($0))" } ?? "") + " and was not read")
        record(outcome, endpoint: endpoint, head: head, context: context)
        refuseEarly(.tooLarge(limit: maximumBodySize), to: head, context: context)
    }

    /// Refuses a request: at once when it has a body still to come (which is then not read), else when it ends,
    /// keeping the connection.
    private func refuse(_ answer: EndpointAnswer, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        if Self.hasBody(head) {
            refuseEarly(answer, to: head, context: context)
        } else {
            state = .answerAtEnd(head, .answer(answer), bodyBytes: 0)
        }
    }

    /// Answers before the body was read, closes the sending side, and drains for at most `lingerTime`.
    private func refuseEarly(_ answer: EndpointAnswer, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .draining(droppedBytes: 0)
        refusalWritten = false
        refusedRequestEnded = false
        writeParts(answer, to: head, keepAlive: false, context: context).assumeIsolated().whenComplete { result in
            self.refusalWritten = true
            guard case .success = result, !self.refusedRequestEnded else { return context.close(promise: nil) }
            context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        }
        lingerTask?.cancel()
        lingerTask = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            context.close(promise: nil)
        }
    }

    private func write(_ answer: EndpointAnswer, to head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        let written = writeParts(answer, to: head, keepAlive: keepAlive, context: context)
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private func writeParts(_ answer: EndpointAnswer, to head: HTTPRequestHead, keepAlive: Bool,
                            context: ChannelHandlerContext) -> EventLoopFuture<Void>
    {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        for (name, value) in answer.extraHeaders { headers.add(name: name, value: value) }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if head.version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: answer.body)))),
                          promise: nil)
        }
        return context.writeAndFlush(wrapOutboundOut(.end(nil)))
    }

    // MARK: Logging and metrics

    /// Counts the request and logs it. Log lines name the endpoint, the sender's address and delivery id and the
    /// reason; never the secret, and never the signature or token that was sent.
    private func record(_ outcome: WebhookOutcome, endpoint: WebhookEndpoint, head: HTTPRequestHead,
                        context: ChannelHandlerContext)
    {
        core.metrics.recordWebhookRequest(endpoint, result: outcome.result)
        var metadata: Logger.Metadata = [
            "endpoint": "\(endpoint.path)", "result": "\(outcome.result.rawValue)", "remote": "\(Self.remote(context))",
        ]
        if let delivery = head.headers.first(name: "X-GitHub-Delivery") ?? head.headers.first(name: "X-Gitlab-Event-UUID")
            ?? head.headers.first(name: "X-Request-Id")
        {
            metadata["delivery"] = "\(Self.loggable(delivery))"
        }
        if let push = outcome.push {
            if let ref = push.ref { metadata["ref"] = "\(Self.loggable(ref))" }
            if let after = push.after { metadata["commit"] = "\(Self.loggable(String(after.prefix(12))))" }
            if let repository = push.repository { metadata["repository"] = "\(Self.loggable(repository))" }
        }
        switch outcome.result {
        case .triggered:
            core.logger.info("webhook: push to \(core.configuration.branch), syncing now", metadata: metadata)
        case .ping:
            core.logger.info("webhook: ping received; the webhook is set up", metadata: metadata)
        case .ignored:
            core.logger.debug("webhook ignored: \(outcome.message)", metadata: metadata)
        case .methodNotAllowed:
            core.logger.debug("webhook refused: \(outcome.message)", metadata: metadata)
        case .unauthorized, .disabled, .tooLarge, .badRequest:
            core.logger.warning("webhook refused: \(outcome.message)", metadata: metadata)
        }
    }

    /// Text from a request, made safe for a log line: at most 100 characters, control characters replaced.
    static func loggable(_ text: String) -> String {
        String(text.prefix(100).map { character -> Character in
            let isControl = character.isNewline
                || character.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
            return isControl ? "?" : character
        })
    }

    private static func remote(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
    }

    private static func path(of uri: String) -> String {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
    }

    /// Whether a body follows the head: a positive Content-Length, or chunked framing.
    static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }) { return length > 0 }
        return head.headers["transfer-encoding"].contains { $0.lowercased().contains("chunked") }
    }
}
