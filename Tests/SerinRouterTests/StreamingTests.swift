import Foundation
import NIOCore
import NIOHTTP1
import SerinCore
import SerinRouter
import Synchronization
import Testing

/// Bodies stream through with backpressure: when one side stops reading, the router stops reading the other, so
/// what it holds stays bounded whatever the body's size.
///
/// The tests count bytes where they cross the test client's and the test upstream's sockets (whose buffers they
/// make small), so what lies between is the router's: its two sockets' kernel buffers, which Linux grows up to
/// `tcp_rmem` and `tcp_wmem`'s maxima (32 MiB and 4 MiB here), and what the router holds in memory. The bound is
/// those maxima plus 4 MiB, and the body is at least twice the bound: a router that read a body without
/// backpressure would hold all of it and fail, whatever the kernel does.
@Suite("Streaming bodies")
struct StreamingTests {
    static let stallAfter = 1024 * 1024
    static let bound = kernelBufferLimit(sysctl: "tcp_rmem") + kernelBufferLimit(sysctl: "tcp_wmem") + 4 * 1024 * 1024
    static let bodySize = max(64 * 1024 * 1024, 2 * bound) / (64 * 1024) * (64 * 1024) + 64 * 1024

    /// The largest buffer the kernel grows a TCP socket's buffer to (the setting's third number).
    static func kernelBufferLimit(sysctl name: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/\(name)", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 32 * 1024 * 1024
    }

    @Test("an upload of at least 64 MiB to an upstream that stops reading backs up to the client instead of filling the router")
    func uploadBackpressure() async throws {
        try await RouterFixture.with(versions: ["v1"], receiveBufferSize: 64 * 1024) { fixture in
            try fixture.route(stable: "v1")
            let upstream = fixture["v1"]
            upstream.stallBodies(after: Self.stallAfter)
            let client = SocketCounters()
            let upload = Task {
                try await TestHTTPConnection.with(port: fixture.port, sendBufferSize: 64 * 1024, socket: client) { connection in
                    var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v2/models/iris/infer")
                    head.headers.add(name: "Host", value: "router")
                    head.headers.add(name: "Content-Length", value: String(Self.bodySize))
                    try await connection.outbound.write(.head(head))
                    let chunk = ByteBuffer(repeating: 7, count: 64 * 1024)
                    for _ in 0..<(Self.bodySize / chunk.readableBytes) {
                        try await connection.outbound.write(.body(.byteBuffer(chunk)))
                    }
                    try await connection.outbound.write(.end(nil))
                    return try await connection.readResponse()
                }
            }
            #expect(try await eventually { upstream.stats.bodyBytesReceived >= Self.stallAfter })
            let sent = await settled { client.written.value }
            let held = sent - upstream.socket.read.value
            #expect(sent < Self.bodySize, "the whole body was accepted while the upstream read none of it")
            #expect(held < Self.bound, "\(held) bytes were between the client's socket and the upstream's")

            upstream.resumeBodies()
            let response = try await upload.value
            #expect(response.status == 200)
            #expect(response.json["bodyBytes"] == .integer(Int64(Self.bodySize)))
        }
    }

    @Test("an answer of at least 64 MiB to a client that stops reading backs up to the upstream instead of filling the router")
    func downloadBackpressure() async throws {
        try await RouterFixture.with(versions: ["v1"], sendBufferSize: 64 * 1024) { fixture in
            try fixture.route(stable: "v1")
            let upstream = fixture["v1"]
            let received = Counter()
            let paused = Flag(true)
            let client = SocketCounters()
            let download = Task {
                try await TestHTTPConnection.with(port: fixture.port, receiveBufferSize: 64 * 1024, socket: client) { connection in
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/v2/models/iris/download/\(Self.bodySize)")
                    head.headers.add(name: "Host", value: "router")
                    try await connection.outbound.write(contentsOf: [.head(head), .end(nil)])
                    return try await connection.readStreamedResponse(received: received) {
                        paused.value && received.value >= Self.stallAfter
                    }
                }
            }
            #expect(try await eventually { received.value >= Self.stallAfter })
            let sent = await settled { upstream.socket.written.value }
            let held = sent - client.read.value
            #expect(sent < Self.bodySize, "the upstream wrote the whole answer while the client read none of it")
            #expect(held < Self.bound, "\(held) bytes were between the upstream's socket and the client's")

            paused.set(false)
            let status = try await download.value
            #expect(status == 200)
            #expect(received.value == Self.bodySize)
        }
    }

    @Test("a 64 MiB answer read at full speed passes through whole")
    func largeBodiesPassThrough() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let received = Counter()
            let status = try await TestHTTPConnection.with(port: fixture.port) { connection in
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/models/iris/download/\(Self.bodySize)")
                head.headers.add(name: "Host", value: "router")
                try await connection.outbound.write(contentsOf: [.head(head), .end(nil)])
                return try await connection.readStreamedResponse(received: received) { false }
            }
            #expect(status == 200)
            #expect(received.value == Self.bodySize)
        }
    }

    /// The value once it stopped changing for half a second (or after a minute): how far a transfer got before
    /// backpressure held it.
    private func settled(_ value: () -> Int) async -> Int {
        var last = value()
        for _ in 0..<120 {
            try? await Task.sleep(for: .milliseconds(500))
            let now = value()
            if now == last { return now }
            last = now
        }
        return last
    }
}
