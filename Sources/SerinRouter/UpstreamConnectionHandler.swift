import NIOCore
import NIOHTTP1

/// What an upstream connection tells the request using it. Calls arrive on the connection's event loop, which is
/// also the client connection's: the router connects to upstreams from the client's loop, so both ends of an
/// exchange meet without locks or hops.
protocol UpstreamExchange: AnyObject {
    func upstreamResponseHead(_ head: HTTPResponseHead)
    func upstreamResponseBody(_ body: ByteBuffer)
    func upstreamResponseEnd(_ trailers: HTTPHeaders?)
    /// The end of one batch of reads: time to flush what was written to the client.
    func upstreamReadComplete()
    /// The upstream's socket buffer has room again (or has filled up).
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed or failed before the answer ended.
    func upstreamFailed(_ error: (any Error)?)
    /// Whether the client can take more of the answer now; while it cannot, the upstream is not read from, so a
    /// slow client slows the upstream down instead of filling the router's memory.
    var clientIsWritable: Bool { get }
}

/// The last handler of an upstream connection's pipeline: passes answer parts to the exchange using the
/// connection, and holds back reads while the client cannot keep up.
final class UpstreamConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange using the connection; nil while it idles in the pool.
    weak var exchange: (any UpstreamExchange)?
    /// Called once when the connection closes, so the pool forgets it.
    var onClose: (() -> Void)?
    private var context: ChannelHandlerContext?
    private var readPending = false
    private var isClosed = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            // An idle connection has nothing to say; anything it sends would be mistaken for the next answer.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head): exchange.upstreamResponseHead(head)
        case .body(let body): exchange.upstreamResponseBody(body)
        case .end(let trailers): exchange.upstreamResponseEnd(trailers)
        }
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
        exchange?.upstreamFailed(nil)
        onClose?()
        onClose = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let exchange = self.exchange
        self.exchange = nil
        exchange?.upstreamFailed(error)
        context.close(promise: nil)
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

    var isActive: Bool { !isClosed && context?.channel.isActive == true }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        exchange = nil
        context?.close(promise: nil)
    }
}
