#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// What an upstream connection tells the request using it. Calls arrive on the connection's event loop, which is
/// also the client connection's: the router connects to upstreams from the client's loop, so both ends of an
/// exchange meet without locks or hops.
protocol UpstreamExchange: AnyObject {
    /// The answer's head (interim 1xx answers are skipped), read `now`. Returns whether the body should come
    /// without its chunked framing (for an HTTP/1.0 client).
    func upstreamResponseHead(_ head: ResponseHead, at now: NIODeadline) -> Bool
    /// The next bytes of the answer's body, as the upstream framed them (or their content, when dechunked).
    func upstreamResponseBody(_ body: ByteBuffer, at now: NIODeadline)
    /// The answer ended; `reusable` says whether the connection can carry another request.
    func upstreamResponseEnd(reusable: Bool, at now: NIODeadline)
    /// The end of one batch of reads: time to flush what was written to the client.
    func upstreamReadComplete()
    /// The upstream's socket buffer has room again (or has filled up).
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed, failed or sent something that is not HTTP before the answer ended.
    func upstreamFailed(_ reason: String?)
    /// Whether the client can take more of the answer now; while it cannot, the upstream is not read from, so a
    /// slow client slows the upstream down instead of filling the router's memory.
    var clientIsWritable: Bool { get }
}

/// The only handler of an upstream connection's pipeline: finds where each answer's head and body end in the bytes
/// the upstream sends, passes them to the exchange using the connection, and holds back reads while the client
/// cannot keep up.
final class UpstreamConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The exchange using the connection; nil while it idles in the pool. Held strongly and cleared whenever the
    /// connection goes back to the pool or closes: a weak reference would give every client handler a side table,
    /// making each of the many retains and releases NIO does on it per request take the slow path.
    var exchange: (any UpstreamExchange)?
    /// Called once when the connection closes, so the pool forgets it.
    var onClose: ((UpstreamConnectionHandler) -> Void)?
    private var context: ChannelHandlerContext?
    private var readPending = false
    private var isClosed = false
    /// Bytes of an answer's head that arrived before the rest of it.
    private var partialHead: ByteBuffer?
    private var headSearch = HeadSearch()
    /// The answer's body once its head is read; nil while waiting for a head.
    private var body: MessageBody?
    private var dechunk = false
    private var requestIsHEAD = false
    /// The last answer's fields, whose storage the next answer's reuse.
    private var fieldStorage: [HeadField] = []

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// A request is about to be written: its answer comes next. Answers to HEAD have no body whatever their
    /// fields say.
    func begin(isHEAD: Bool) {
        requestIsHEAD = isHEAD
        partialHead = nil
        headSearch = HeadSearch()
        body = nil
        dechunk = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            // An idle connection has nothing to say; anything it sends would be mistaken for the next answer.
            context.close(promise: nil)
            return
        }
        // One clock read per read, for every timestamp the exchange takes while handling these bytes.
        let now = NIODeadline.now()
        var buffer = unwrapInboundIn(data)
        if body == nil {
            if var partial = partialHead {
                partialHead = nil
                partial.writeBuffer(&buffer)
                buffer = partial
            }
            while body == nil {
                let length: Int
                switch headSearch.search(buffer) {
                case .complete(let found): length = found
                case .incomplete:
                    partialHead = buffer
                    return
                case .tooLarge:
                    return fail("the answer's head is larger than \(HTTPHeadParser.maximumHeadSize) bytes")
                }
                guard let bytes = buffer.readSlice(length: length) else { return }
                // Moved out and back, so that the parser finds the storage uniquely held once the last head is gone.
                var fields = fieldStorage
                fieldStorage = []
                let head: ResponseHead
                do {
                    head = try HTTPHeadParser.response(bytes, toHEAD: requestIsHEAD, fields: &fields)
                } catch {
                    return fail("the answer is not valid HTTP/1.1: \(error.reason)")
                }
                fieldStorage = fields
                if head.status < 200 {
                    // Interim answers (100 Continue, 103 Early Hints) are the upstream's business with the router:
                    // the router gave the client its own 100 Continue already. 101 would switch protocols, which the
                    // router never asks for (it drops Upgrade).
                    if head.status == 101 { return fail("the upstream switched protocols, which the router does not ask for") }
                    continue
                }
                dechunk = exchange.upstreamResponseHead(head, at: now) && head.framing == .chunked
                body = MessageBody(head.framing)
                guard self.exchange === exchange else { return }
            }
        }
        deliverBody(&buffer, to: exchange, at: now)
    }

    private func deliverBody(_ buffer: inout ByteBuffer, to exchange: any UpstreamExchange, at now: NIODeadline) {
        guard var scanner = body else { return }
        let result: Result<MessageBody.Scan, MessageBody.FramingError>
        var content: [Range<Int>] = []
        if dechunk {
            result = buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(MessageBody.FramingError) in try scanner.scan(bytes) { content.append($0) } }
            }
        } else {
            result = buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(MessageBody.FramingError) in try scanner.scan(bytes) }
            }
        }
        let scan: MessageBody.Scan
        switch result {
        case .success(let found): scan = found
        case .failure(let error): return fail("the answer's body is malformed: \(error)")
        }
        body = scanner
        if dechunk {
            for range in content {
                if let slice = buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count) {
                    exchange.upstreamResponseBody(slice, at: now)
                }
            }
            buffer.moveReaderIndex(forwardBy: scan.consumed)
        } else if scan.consumed > 0, let slice = buffer.readSlice(length: scan.consumed) {
            exchange.upstreamResponseBody(slice, at: now)
        }
        guard scan.ended else { return }
        body = nil
        // Bytes past the answer's end belong to no request: the connection cannot be trusted with another.
        exchange.upstreamResponseEnd(reusable: buffer.readableBytes == 0, at: now)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        let exchange = self.exchange
        self.exchange = nil
        if let exchange {
            if let body, body.endsAtClose {
                // An answer without a length ends with the connection.
                self.body = nil
                exchange.upstreamResponseEnd(reusable: false, at: .now())
            } else {
                exchange.upstreamFailed(nil)
            }
        }
        onClose?(self)
        onClose = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let exchange = self.exchange
        self.exchange = nil
        exchange?.upstreamFailed(Self.describe(error))
        context.close(promise: nil)
    }

    private func fail(_ reason: String) {
        let exchange = self.exchange
        self.exchange = nil
        exchange?.upstreamFailed(reason)
        context?.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if let exchange, !exchange.clientIsWritable {
            readPending = true
            return
        }
        context.read()
    }

    /// Reads again after the client drained its buffer.
    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    /// Open and not being closed. Kept by the handler itself: asking the channel costs more, on every lease.
    var isActive: Bool { !isClosed && context != nil }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        exchange = nil
        isClosed = true
        context?.close(promise: nil)
    }

    static func describe(_ error: any Error) -> String {
        var error = error
        if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
            error = first.error
        }
        if case ChannelError.connectTimeout = error {
            return "no connection within the connect timeout"
        }
        if let error = error as? IOError {
            return describe(errno: error.errnoCode)
        }
        return "\(error)"
    }

    /// What a socket error means for the upstream, in words: NIO's own descriptions name the system call that
    /// failed ("connection reset (error set): …"), which says little to someone reading a 502.
    static func describe(errno: CInt) -> String {
        switch errno {
        case ECONNREFUSED: "connection refused: nothing listens on that port"
        case ECONNRESET: "the upstream reset the connection"
        case EPIPE: "the upstream closed the connection while the request was being sent"
        case ETIMEDOUT: "the connection timed out"
        case EHOSTUNREACH, ENETUNREACH: "no route to the upstream's host"
        default: "\(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}
