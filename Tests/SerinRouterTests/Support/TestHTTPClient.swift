import NIOCore
import NIOHTTP1
import NIOPosix
import SerinCore
import Synchronization

/// An answer as a test client received it.
struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue { (try? JSONValue(parsing: text)) ?? .null }
    /// The upstream's version, from its JSON echo.
    var servedBy: String? { json["version"]?.stringValue }
}

/// A plain HTTP/1.1 client on one keep-alive connection, on NIO so that tests never block a thread of Swift's
/// small cooperative pool.
struct TestHTTPConnection {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    let port: Int

    /// Opens a connection to 127.0.0.1:port, runs `body` with it and closes it. `sendBufferSize` and
    /// `receiveBufferSize` shrink the socket's buffers, so the kernel holds less of a stalled transfer; `socket`
    /// counts the bytes that crossed the socket.
    static func with<Result>(port: Int, sendBufferSize: Int? = nil, receiveBufferSize: Int? = nil,
                             socket: SocketCounters? = nil,
                             _ body: (inout TestHTTPConnection) async throws -> Result) async throws -> Result
    {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let sendBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(sendBufferSize))
        }
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                if let socket { try channel.pipeline.syncOperations.addHandler(socket.handler()) }
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try Channel(wrappingChannelSynchronously: channel)
            }
        }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = TestHTTPConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound, port: port)
            return try await body(&connection)
        }
    }

    /// Sends one request with a whole body and reads the whole answer.
    mutating func request(_ method: HTTPMethod = .GET, _ uri: String, headers: [(String, String)] = [],
                          body: [UInt8]? = nil) async throws -> TestResponse
    {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.count)) }
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if let body, !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
        return try await readResponse()
    }

    /// Reads one whole answer.
    mutating func readResponse() async throws -> TestResponse {
        var response: TestResponse?
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                response = TestResponse(status: Int(head.status.code), headers: head.headers, body: [])
            case .body(let buffer):
                response?.body.append(contentsOf: buffer.readableBytesView)
            case .end:
                guard let response else { throw TestFailure("an answer ended before its head") }
                return response
            }
        }
        throw TestFailure("the connection closed before an answer ended")
    }

    /// Reads one answer's head, then its body as it comes, counting bytes into `received`, and pausing (reading
    /// nothing) while `paused` returns true.
    mutating func readStreamedResponse(received: Counter, paused: @Sendable () -> Bool) async throws -> Int {
        var status = 0
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                status = Int(head.status.code)
            case .body(let buffer):
                received.add(buffer.readableBytes)
                while paused() { try await Task.sleep(for: .milliseconds(5)) }
            case .end:
                return status
            }
        }
        throw TestFailure("the connection closed before an answer ended")
    }
}

extension TestHTTPConnection {
    /// One GET on a connection of its own.
    static func get(port: Int, _ uri: String) async throws -> TestResponse {
        try await request(port: port, .GET, uri)
    }

    /// One request on a connection of its own.
    static func request(port: Int, _ method: HTTPMethod = .GET, _ uri: String, headers: [(String, String)] = [],
                        body: [UInt8]? = nil) async throws -> TestResponse
    {
        try await with(port: port) { connection in
            try await connection.request(method, uri, headers: headers, body: body)
        }
    }
}
