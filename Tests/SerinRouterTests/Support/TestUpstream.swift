import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SerinCore
import SerinRouter
import Synchronization

/// A model server stand-in on a loopback port: a real NIO HTTP/1.1 server that answers with its version name and
/// what it received, so tests can see where the router sent each request and what it changed on the way.
///
/// What the path asks for (anywhere in it):
/// - `/hold`: waits until `releaseHeld()` before answering;
/// - `/status/<code>`: answers that status;
/// - `/download/<bytes>`: answers with that many bytes of body, streamed;
/// - `/die-mid-answer`: sends a head and part of the body, then closes the connection;
/// - anything else: `{"version", "method", "uri", "bodyBytes", "headers"}` as JSON, after reading the whole body.
/// Request bodies are counted as they arrive; `stallBodies` makes it stop reading a body past a byte count until
/// `resumeBodies()`.
final class TestUpstream: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let version: String
    let port: Int
    private let serverChannel: NIOAsyncChannel<Connection, Never>
    private let serving: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let counters = Mutex(Counters())
    private let holdGate = Mutex(AsyncGate())
    private let dropsReusedConnections = Mutex(false)
    /// Bytes through the accepted sockets themselves, whatever NIO buffers above them.
    let socket: SocketCounters
    private let bodyGate = Mutex<(limit: Int?, gate: AsyncGate)>((nil, AsyncGate()))

    struct Counters: Sendable {
        var acceptedConnections = 0
        var openConnections = 0
        var requests = 0
        var heldRequests = 0
        var bodyBytesReceived = 0
        var responseBytesSent = 0
    }

    var stats: Counters { counters.withLock { $0 } }

    private init(version: String, port: Int, serverChannel: NIOAsyncChannel<Connection, Never>, socket: SocketCounters) {
        self.socket = socket
        self.version = version
        self.port = port
        self.serverChannel = serverChannel
    }

    /// Starts on a free loopback port. `receiveBufferSize` and `sendBufferSize` shrink the accepted sockets'
    /// buffers, so that a stalled body backs up into the router sooner and the kernel holds less of it.
    static func start(version: String, port: Int = 0, receiveBufferSize: Int? = nil, sendBufferSize: Int? = nil)
        async throws -> TestUpstream
    {
        var bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        if let receiveBufferSize {
            bootstrap = bootstrap.childChannelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        if let sendBufferSize {
            bootstrap = bootstrap.childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(sendBufferSize))
        }
        let socket = SocketCounters()
        let serverChannel = try await bootstrap.bind(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(socket.handler())
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                return try Connection(wrappingChannelSynchronously: channel)
            }
        }
        guard let boundPort = serverChannel.channel.localAddress?.port else { throw TestFailure("the upstream has no port") }
        let upstream = TestUpstream(version: version, port: boundPort, serverChannel: serverChannel, socket: socket)
        upstream.serving.withLock { $0 = Task { await upstream.acceptConnections() } }
        return upstream
    }

    var upstream: Upstream { Upstream(version: version, host: "127.0.0.1", port: port) }

    /// From now on, a second request on one connection finds the connection closed instead of an answer.
    func dropReusedConnections() {
        dropsReusedConnections.withLock { $0 = true }
    }

    /// Lets every held request answer, now and later.
    func releaseHeld() {
        holdGate.withLock { $0 }.open()
    }

    /// Request bodies stop being read once this many bytes of them arrived in all, until `resumeBodies()`.
    func stallBodies(after bytes: Int) {
        bodyGate.withLock { $0 = (bytes, AsyncGate()) }
    }

    func resumeBodies() {
        let gate = bodyGate.withLock { state -> AsyncGate in
            state.limit = nil
            return state.gate
        }
        gate.open()
    }

    /// Closes the listener and every connection; held requests are let go first.
    func stop() async {
        releaseHeld()
        resumeBodies()
        try? await serverChannel.channel.close()
        let task = serving.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    private func acceptConnections() async {
        try? await serverChannel.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    counters.withLock {
                        $0.acceptedConnections += 1
                        $0.openConnections += 1
                    }
                    group.addTask {
                        await self.serve(connection)
                        self.counters.withLock { $0.openConnections -= 1 }
                    }
                }
            }
        }
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var bodyBytes = 0
            var requestsOnConnection = 0
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    bodyBytes = 0
                    requestsOnConnection += 1
                    counters.withLock { $0.requests += 1 }
                    if requestsOnConnection > 1 && dropsReusedConnections.withLock({ $0 }) {
                        // As a server closing an idle keep-alive connection just as a request arrives on it.
                        return
                    }
                case .body(let buffer):
                    bodyBytes += buffer.readableBytes
                    let total = counters.withLock { state -> Int in
                        state.bodyBytesReceived += buffer.readableBytes
                        return state.bodyBytesReceived
                    }
                    let (limit, gate) = bodyGate.withLock { $0 }
                    if let limit, total >= limit { await gate.wait() }
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    guard try await answer(requestHead, bodyBytes: bodyBytes, outbound: outbound) else { return }
                    if !requestHead.isKeepAlive { return }
                }
            }
        }
    }

    /// Answers one request; false when the connection is to close without further answers.
    private func answer(_ head: HTTPRequestHead, bodyBytes: Int,
                        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool
    {
        let segments = head.uri.split(separator: "?").first.map { $0.split(separator: "/").map(String.init) } ?? []
        if segments.contains("hold") {
            counters.withLock { $0.heldRequests += 1 }
            await holdGate.withLock { $0 }.wait()
            counters.withLock { $0.heldRequests -= 1 }
        }
        if let index = segments.firstIndex(of: "download"), index + 1 < segments.count, let size = Int(segments[index + 1]) {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: String(size))
            headers.add(name: "Content-Type", value: "application/octet-stream")
            try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)))
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
            var sent = 0
            while sent < size {
                let count = min(chunk.readableBytes, size - sent)
                try await outbound.write(.body(.byteBuffer(chunk.getSlice(at: 0, length: count) ?? chunk)))
                sent += count
                counters.withLock { $0.responseBytesSent += count }
            }
            try await outbound.write(.end(nil))
            return true
        }
        if segments.contains("die-mid-answer") {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "1000")
            try await outbound.write(contentsOf: [
                .head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)),
                .body(.byteBuffer(ByteBuffer(string: "partial"))),
            ])
            return false
        }
        var status = HTTPResponseStatus.ok
        if let index = segments.firstIndex(of: "status"), index + 1 < segments.count, let code = Int(segments[index + 1]) {
            status = HTTPResponseStatus(statusCode: code)
        }
        var echoed: [String: JSONValue] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            echoed[key] = .string(echoed[key]?.stringValue.map { "\($0), \(value)" } ?? value)
        }
        let body: JSONValue = [
            "version": .string(version), "method": .string(head.method.rawValue), "uri": .string(head.uri),
            "bodyBytes": .integer(Int64(bodyBytes)), "headers": .object(echoed),
        ]
        let bytes = ByteBuffer(string: body.serialized)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        headers.add(name: "Keep-Alive", value: "timeout=5")
        headers.add(name: "X-Upstream-Only", value: "1")
        headers.add(name: "Connection", value: "X-Upstream-Only")
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: head.version, status: status, headers: headers)),
            .body(.byteBuffer(bytes)),
            .end(nil),
        ])
        return true
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
