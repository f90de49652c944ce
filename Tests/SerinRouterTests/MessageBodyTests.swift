@testable import SerinRouter
import Testing

/// Where a body ends decides where the next request on the connection starts, so the router follows chunked
/// framing exactly and refuses what it cannot follow.
@Suite("Message bodies")
struct MessageBodyTests {
    /// Feeds `text` in pieces of `pieceSize` bytes; returns the bytes taken in total, whether the body ended, and
    /// the content (chunk data) seen.
    private func follow(_ framing: BodyFraming, _ text: String, pieceSize: Int = .max) throws
        -> (consumed: Int, ended: Bool, content: String)
    {
        var body = MessageBody(framing)
        let bytes = Array(text.utf8)
        var consumed = 0
        var content: [UInt8] = []
        var ended = body.isComplete
        var offset = 0
        while offset < bytes.count, !ended {
            let piece = Array(bytes[offset..<min(bytes.count, offset + pieceSize)])
            let scan = try piece.withUnsafeBytes { raw in
                try body.scan(raw) { range in content += raw[range] }
            }
            consumed += scan.consumed
            ended = scan.ended
            offset += piece.count
            if scan.consumed < piece.count { break }
        }
        return (consumed, ended, String(decoding: content, as: UTF8.self))
    }

    @Test("a body of known length takes exactly that many bytes and leaves the rest for the next request")
    func lengthDelimited() throws {
        let result = try follow(.length(5), "helloGET / HTTP/1.1")
        #expect(result.consumed == 5)
        #expect(result.ended)
        #expect(result.content == "hello")
    }

    @Test("a body of known length ends only when its last byte arrives")
    func lengthAcrossReads() throws {
        var body = MessageBody(.length(10))
        let first = try Array("hello".utf8).withUnsafeBytes { raw in try body.scan(raw) }
        #expect(first.consumed == 5 && !first.ended)
        let second = try Array("world!".utf8).withUnsafeBytes { raw in try body.scan(raw) }
        #expect(second.consumed == 5 && second.ended)
    }

    @Test("no body is complete at once and takes nothing")
    func noBody() throws {
        let result = try follow(.none, "GET / HTTP/1.1\r\n\r\n")
        #expect(result.consumed == 0)
        #expect(result.ended)
    }

    @Test("a chunked body ends after its last chunk and trailers, in one read or byte by byte", arguments: [Int.max, 1, 3])
    func chunkedBody(pieceSize: Int) throws {
        let body = "5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
        let result = try follow(.chunked, body + "GET /next HTTP/1.1\r\n", pieceSize: pieceSize)
        #expect(result.consumed == body.utf8.count)
        #expect(result.ended)
        #expect(result.content == "hello world")
    }

    @Test("chunk sizes are hexadecimal in either case")
    func hexadecimalSizes() throws {
        let data = String(repeating: "x", count: 26)
        let result = try follow(.chunked, "1A\r\n\(data)\r\n0\r\n\r\n")
        #expect(result.ended)
        #expect(result.content == data)
        #expect(try follow(.chunked, "1a\r\n\(data)\r\n0\r\n\r\n").ended)
    }

    @Test("a chunked body not yet ended takes every byte given")
    func chunkedUnfinished() throws {
        let result = try follow(.chunked, "5\r\nhel")
        #expect(result.consumed == 6)
        #expect(!result.ended)
    }

    @Test("chunked framing that two parsers could read differently is refused", arguments: [
        ("a size that is not hexadecimal", "g\r\nhello\r\n0\r\n\r\n"),
        ("a chunk longer than its size", "3\r\nhello\r\n0\r\n\r\n"),
        ("a size line ending in a bare LF", "5\nhello\r\n0\r\n\r\n"),
        ("a chunk ending in a bare LF", "5\r\nhello\n0\r\n\r\n"),
        ("a size too large to hold", "fffffffffffffffff\r\n"),
        ("an empty size", "\r\nhello\r\n0\r\n\r\n"),
        ("a negative size", "-5\r\nhello\r\n0\r\n\r\n"),
        ("a trailer line ending in a bare LF", "0\r\nX: 1\n\r\n"),
    ])
    func malformedChunks(_ what: String, _ text: String) {
        #expect(throws: MessageBody.FramingError.self, "\(what) was accepted") { try follow(.chunked, text) }
    }

    @Test("an answer that ends with its connection takes everything and never ends on its own")
    func untilClose() throws {
        var body = MessageBody(.untilClose)
        #expect(body.endsAtClose)
        let scan = try Array("anything at all".utf8).withUnsafeBytes { raw in
            try body.scan(raw)
        }
        #expect(scan.consumed == 15 && !scan.ended)
    }
}
