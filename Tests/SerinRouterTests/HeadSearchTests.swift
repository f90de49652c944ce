import NIOCore
@testable import SerinRouter
import Testing

/// Heads arrive in pieces: the search must find an end split across them, and refuse a head that outgrows the
/// limit instead of waiting for more of it.
@Suite("Head search")
struct HeadSearchTests {
    @Test func aHeadWhoseEndIsSplitAcrossReadsIsFoundWhenTheLastPieceArrives() {
        var search = HeadSearch()
        var buffer = ByteBuffer(string: "POST /v2/models/iris/infer HTTP/1.1\r\nHost: a\r\n\r")
        #expect(search.search(buffer) == .incomplete)
        #expect(!search.isAtStart)
        let body = #"{"inputs":[]}"#
        buffer.writeString("\n" + body)
        #expect(search.search(buffer) == .complete(length: buffer.readableBytes - body.utf8.count))
        #expect(search.isAtStart)
    }

    @Test func aHeadStillOpenAtTheLimitIsWaitedForAndOnePastItIsTooLarge() {
        var search = HeadSearch()
        let line = "X-Filler: " + String(repeating: "a", count: 88) + "\r\n"
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\n")
        while buffer.readableBytes + line.utf8.count <= HTTPHeadParser.maximumHeadSize {
            buffer.writeString(line)
        }
        buffer.writeString(String(repeating: "b", count: HTTPHeadParser.maximumHeadSize - buffer.readableBytes))
        #expect(search.search(buffer) == .incomplete)
        buffer.writeString("b")
        #expect(search.search(buffer) == .tooLarge)
    }

    @Test func aCompleteHeadLargerThanTheLimitIsTooLarge() {
        var search = HeadSearch()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nX-Big: ")
        buffer.writeString(String(repeating: "a", count: HTTPHeadParser.maximumHeadSize))
        buffer.writeString("\r\n\r\n")
        #expect(search.search(buffer) == .tooLarge)
    }
}
