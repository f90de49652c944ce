import NIOCore

/// Finds where a head ends in bytes that arrive in pieces, without searching again what earlier pieces held, and
/// applies the size limit: a head not complete within `HTTPHeadParser.maximumHeadSize` bytes is refused rather
/// than waited for, so a peer cannot make the router hold an unbounded head.
struct HeadSearch {
    enum Outcome: Equatable {
        /// The head is the buffer's first `length` readable bytes; the next search starts a new head.
        case complete(length: Int)
        /// More bytes are needed; search again with them appended.
        case incomplete
        /// The head is larger than `HTTPHeadParser.maximumHeadSize`.
        case tooLarge
    }

    private var searchFrom = 0

    /// Whether no part of a head has been searched yet.
    var isAtStart: Bool { searchFrom == 0 }

    /// Searches `buffer`, whose readable bytes start with the head: the same bytes as last time, and more.
    mutating func search(_ buffer: ByteBuffer) -> Outcome {
        let length = buffer.withUnsafeReadableBytes { HTTPHeadParser.headLength($0, searchFrom: searchFrom) }
        if let length, length <= HTTPHeadParser.maximumHeadSize {
            searchFrom = 0
            return .complete(length: length)
        }
        guard length == nil, buffer.readableBytes <= HTTPHeadParser.maximumHeadSize else { return .tooLarge }
        // The head's end is at most four bytes long: the next search starts where one could have begun.
        searchFrom = max(0, buffer.readableBytes - 3)
        return .incomplete
    }
}
