import NIOCore

/// Writes a head's pieces into memory reserved for the whole head: one capacity check and one index update for the
/// head, where writing piece by piece through `ByteBuffer` pays both (and a uniqueness check) for each of a head's
/// twenty-odd pieces, on every request and every answer.
///
/// A piece that does not fit is not written, nor anything after it, and the writer is then `overflowed`: the caller
/// reserves more and writes the head again. Memory past the reservation is never touched.
struct HeadWriter: ~Copyable {
    private let target: UnsafeMutableRawBufferPointer
    /// Bytes written so far, from the reservation's start.
    private(set) var count = 0
    private(set) var overflowed = false

    init(into target: UnsafeMutableRawBufferPointer) {
        self.target = target
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard !overflowed, bytes.count <= target.count - count else {
            overflowed = true
            return
        }
        guard let source = bytes.baseAddress, let destination = target.baseAddress else { return }
        (destination + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func write(_ string: StaticString) {
        string.withUTF8Buffer { write(UnsafeRawBufferPointer($0)) }
    }

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}

extension ByteBuffer {
    /// Appends what `body` writes, reserving `estimate` bytes first and twice as many each time that proves too
    /// little (`body` then runs again from the start).
    mutating func writeHead(estimate: Int, _ body: (inout HeadWriter) -> Void) {
        var reservation = Swift.max(estimate, 64)
        while true {
            var overflowed = false
            writeWithUnsafeMutableBytes(minimumWritableBytes: reservation) { target in
                var writer = HeadWriter(into: target)
                body(&writer)
                overflowed = writer.overflowed
                return overflowed ? 0 : writer.count
            }
            guard overflowed else { return }
            reservation *= 2
        }
    }
}
