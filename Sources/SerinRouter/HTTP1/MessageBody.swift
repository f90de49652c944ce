/// Where a message's body ends in a stream of bytes, found as they arrive: the router forwards bodies as the bytes
/// they came in and only needs to know which bytes belong to the message (RFC 9112 §6, §7.1). Chunked bodies are
/// checked as strictly as heads, so the router and the server behind it cannot disagree on where a request ends.
struct MessageBody {
    private enum State {
        case length(remaining: Int)
        case untilClose
        case chunkSize(size: Int, digits: Int)
        case chunkExtension(size: Int)
        case chunkSizeLF(size: Int)
        case chunkData(remaining: Int)
        case chunkDataCR
        case chunkDataLF
        case trailerLineStart
        case trailerLine
        case trailerLineLF
        case finalLF
        case done
    }

    /// Why a chunked body could not be followed.
    struct FramingError: Error, CustomStringConvertible {
        var description: String
    }

    /// What one `scan` found.
    struct Scan {
        /// How many of the bytes given belong to this body.
        var consumed: Int
        /// Whether the body ended with them.
        var ended: Bool
    }

    /// Longest chunk-size line (with extensions) and trailer section accepted.
    static let maximumLineLength = 16 * 1024

    private var state: State
    private var lineLength = 0

    init(_ framing: BodyFraming) {
        switch framing {
        case .none: state = .done
        case .length(let length): state = length > 0 ? .length(remaining: length) : .done
        case .chunked: state = .chunkSize(size: 0, digits: 0)
        case .untilClose: state = .untilClose
        }
    }

    var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Whether the body ends only when the connection closes.
    var endsAtClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Follows the body through the next `bytes`. With `data`, the ranges of content within `bytes` (chunk data,
    /// without the chunked framing) are passed to it, for a client that cannot read chunked framing.
    /// `data` does not escape: a closure that may would make its caller box whatever it captures, on every call.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, data: (Range<Int>) -> Void = { _ in }) throws(FramingError) -> Scan {
        var index = 0
        let count = bytes.count
        while index < count {
            switch state {
            case .done:
                return Scan(consumed: index, ended: true)
            case .untilClose:
                data(index..<count)
                return Scan(consumed: count, ended: false)
            case .length(let remaining):
                let taken = min(remaining, count - index)
                data(index..<(index + taken))
                index += taken
                state = taken == remaining ? .done : .length(remaining: remaining - taken)
            case .chunkData(let remaining):
                let taken = min(remaining, count - index)
                data(index..<(index + taken))
                index += taken
                state = taken == remaining ? .chunkDataCR : .chunkData(remaining: remaining - taken)
            case .chunkSize(let size, let digits):
                let byte = bytes[index]
                if let value = HTTPBytes.hexValue(byte) {
                    guard digits < 15 else { throw FramingError(description: "a chunk size is too large") }
                    state = .chunkSize(size: size << 4 | Int(value), digits: digits + 1)
                } else if digits > 0, byte == HTTPBytes.cr {
                    state = .chunkSizeLF(size: size)
                } else if digits > 0, byte == UInt8(ascii: ";") || byte == HTTPBytes.space || byte == HTTPBytes.tab {
                    lineLength = 0
                    state = .chunkExtension(size: size)
                } else {
                    throw FramingError(description: "a chunk does not start with its size in hexadecimal")
                }
                index += 1
            case .chunkExtension(let size):
                let byte = bytes[index]
                if byte == HTTPBytes.cr {
                    state = .chunkSizeLF(size: size)
                } else {
                    lineLength += 1
                    guard byte != HTTPBytes.lf, lineLength <= Self.maximumLineLength else {
                        throw FramingError(description: "a chunk extension is malformed or too long")
                    }
                }
                index += 1
            case .chunkSizeLF(let size):
                guard bytes[index] == HTTPBytes.lf else { throw FramingError(description: "a chunk size line lacks its LF") }
                lineLength = 0
                state = size == 0 ? .trailerLineStart : .chunkData(remaining: size)
                index += 1
            case .chunkDataCR:
                guard bytes[index] == HTTPBytes.cr else { throw FramingError(description: "a chunk is longer than its size") }
                state = .chunkDataLF
                index += 1
            case .chunkDataLF:
                guard bytes[index] == HTTPBytes.lf else { throw FramingError(description: "a chunk lacks its ending CRLF") }
                state = .chunkSize(size: 0, digits: 0)
                index += 1
            case .trailerLineStart:
                state = bytes[index] == HTTPBytes.cr ? .finalLF : .trailerLine
                if case .trailerLine = state, bytes[index] == HTTPBytes.lf {
                    throw FramingError(description: "a trailer line ends in a bare LF")
                }
                lineLength += 1
                index += 1
            case .trailerLine:
                let byte = bytes[index]
                lineLength += 1
                guard byte != HTTPBytes.lf, lineLength <= Self.maximumLineLength else {
                    throw FramingError(description: "the trailer section is malformed or too long")
                }
                if byte == HTTPBytes.cr { state = .trailerLineLF }
                index += 1
            case .trailerLineLF:
                guard bytes[index] == HTTPBytes.lf else { throw FramingError(description: "a trailer line lacks its LF") }
                state = .trailerLineStart
                index += 1
            case .finalLF:
                guard bytes[index] == HTTPBytes.lf else { throw FramingError(description: "the chunked body lacks its final LF") }
                state = .done
                index += 1
            }
        }
        return Scan(consumed: index, ended: isComplete)
    }
}
