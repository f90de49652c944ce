import NIOCore
import NIOPosix
import Synchronization

/// A client that writes raw bytes and returns every byte the server sent until it closed: for requests libcurl
/// will not make (no `Expect`, a body that never comes, chunked framing by hand).
enum RawHTTPClient {
    private final class Store: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    private final class CollectingHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let store: Store
        init(store: Store) { self.store = store }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            store.bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    /// Sends `head` (the request line and headers, CRLF-terminated), then each chunk of `body` as the server takes
    /// it, and waits until the server closes the connection or `timeout` passes.
    static func exchange(port: Int, head: String, body: [[UInt8]] = [], timeout: Duration = .seconds(15)) async throws
        -> String
    {
        let store = Store()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CollectingHandler(store: store))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: head)).get()
        for chunk in body {
            // The server may refuse and close while the body is still on its way: that ends the sending.
            do { try await channel.writeAndFlush(ByteBuffer(bytes: chunk)).get() } catch { break }
        }
        let closed = channel.closeFuture
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await closed.get() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                try? await channel.close()
            }
            await group.next()
            group.cancelAll()
        }
        try? await channel.close()
        return String(decoding: store.bytes.withLock { $0 }, as: UTF8.self)
    }
}
