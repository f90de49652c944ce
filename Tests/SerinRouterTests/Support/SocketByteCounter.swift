import NIOCore

/// Counts the bytes a channel read from its socket and the bytes it handed to the kernel (a write counts once its
/// promise succeeds), at the head of the pipeline: what crossed the socket, not what waits in NIO's buffers.
final class SocketByteCounter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let read: Counter
    private let written: Counter

    init(read: Counter, written: Counter) {
        self.read = read
        self.written = written
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        read.add(unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let count = unwrapOutboundIn(data).readableBytes
        let completion = promise ?? context.eventLoop.makePromise()
        let written = self.written
        completion.futureResult.whenSuccess { written.add(count) }
        context.write(data, promise: completion)
    }
}

/// What one side of a test connection moved through its socket.
struct SocketCounters: Sendable {
    let read = Counter()
    let written = Counter()

    func handler() -> SocketByteCounter { SocketByteCounter(read: read, written: written) }
}
