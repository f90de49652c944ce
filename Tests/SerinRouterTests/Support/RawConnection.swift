import NIOCore
import NIOPosix

/// Bytes on a plain TCP connection, for requests no HTTP client library would send.
enum RawConnection {
    /// Sends `request` as it is and returns everything the server wrote until it closed the connection.
    static func exchange(port: Int, _ request: String) async throws -> String {
        try await exchange(port: port, pieces: [request])
    }

    /// Sends `pieces` one write (and flush) at a time, then returns everything the server wrote until it closed
    /// the connection.
    static func exchange(port: Int, pieces: [String]) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for piece in pieces {
                try await outbound.write(ByteBuffer(string: piece))
            }
            var received = ByteBuffer()
            for try await var part in inbound {
                received.writeBuffer(&part)
            }
            return String(buffer: received)
        }
    }
}
