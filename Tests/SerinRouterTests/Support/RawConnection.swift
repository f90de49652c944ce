import NIOCore
import NIOPosix

/// Bytes on a plain TCP connection, for requests no HTTP client library would send.
enum RawConnection {
    /// Sends `request` as it is and returns everything the server wrote until it closed the connection.
    static func exchange(port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ByteBuffer()
            for try await var part in inbound {
                received.writeBuffer(&part)
            }
            return String(buffer: received)
        }
    }
}
