import NIOCore
@testable import SerinRouter
import Testing

/// Heads are written straight into reserved memory, so the writer must never pass the reservation and a head
/// larger than estimated must still come out whole.
@Suite("Head writer")
struct HeadWriterTests {
    @Test func piecesFollowEachOtherInTheOrderWritten() {
        var buffer = ByteBuffer()
        buffer.writeHead(estimate: 64) { out in
            out.write("GET /v2/models/iris")
            out.write(" HTTP/1.1\r\n")
            out.write(String("Host: 127.0.0.1:9000\r\n\r\n"))
        }
        #expect(String(buffer: buffer) == "GET /v2/models/iris HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n\r\n")
    }

    @Test func aPieceThatDoesNotFitIsNotWrittenNorAnythingAfterIt() {
        var memory = [UInt8](repeating: 0xEE, count: 12)
        let (count, overflowed) = memory.withUnsafeMutableBytes { target in
            var writer = HeadWriter(into: UnsafeMutableRawBufferPointer(rebasing: target[0..<8]))
            writer.write("HTTP")
            writer.write("/1.1 ")
            writer.write("!")
            return (writer.count, writer.overflowed)
        }
        #expect(count == 4)
        #expect(overflowed)
        #expect(Array(memory[4...]) == [UInt8](repeating: 0xEE, count: 8))
    }

    @Test func aHeadLargerThanEstimatedIsWrittenWholeIntoMoreMemory() {
        let field = "X-Filler: " + String(repeating: "a", count: 300) + "\r\n"
        var buffer = ByteBuffer(string: "kept ")
        buffer.writeHead(estimate: 1) { out in
            out.write("HTTP/1.1 200 OK\r\n")
            out.write(field)
            out.write("\r\n")
        }
        #expect(String(buffer: buffer) == "kept HTTP/1.1 200 OK\r\n" + field + "\r\n")
    }
}
