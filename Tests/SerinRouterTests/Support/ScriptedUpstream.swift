import NIOCore
import NIOPosix
import SerinCore
import SerinRouter
import Synchronization

/// An upstream that answers every request head it reads with the same bytes, written as they are: for answers no
/// HTTP server library would send (interim answers, no length, bytes past the end, malformed heads). Bodies of
/// requests are not expected; after `closeAfterAnswer` answers it closes the connection.
final class ScriptedUpstream: Sendable {
    let port: Int
    private let channel: any Channel
    private let state: Box

    final class Box: Sendable {
        private let state = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    struct State {
        var acceptedConnections = 0
        var requestHeads: [String] = []
    }

    var acceptedConnections: Int { state.withLock { $0.acceptedConnections } }
    /// The heads received, in order, as text.
    var requestHeads: [String] { state.withLock { $0.requestHeads } }

    private init(port: Int, channel: any Channel, state: Box) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    static func start(answer: String, closeAfterAnswer: Bool = false) async throws -> ScriptedUpstream {
        let state = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.withLock { $0.acceptedConnections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(answer: ByteBuffer(string: answer), closeAfterAnswer: closeAfterAnswer, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestFailure("the scripted upstream has no port") }
        return ScriptedUpstream(port: port, channel: channel, state: state)
    }

    func upstream(version: String) -> Upstream { Upstream(version: version, host: "127.0.0.1", port: port) }

    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: ByteBuffer
        let closeAfterAnswer: Bool
        let state: Box
        var received = ""

        init(answer: ByteBuffer, closeAfterAnswer: Bool, state: Box) {
            self.answer = answer
            self.closeAfterAnswer = closeAfterAnswer
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            while let end = received.range(of: "\r\n\r\n") {
                let head = String(received[..<end.upperBound])
                received.removeSubrange(..<end.upperBound)
                state.withLock { $0.requestHeads.append(head) }
                if closeAfterAnswer {
                    context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in
                        context.close(promise: nil)
                    }
                    return
                }
                context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
            }
        }
    }
}
