#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1

/// A field of a head the router treats specially; everything else is `.other` and passes through as it came.
enum FieldKind: UInt8 {
    case other, connection, keepAlive, proxyConnection, te, transferEncoding, upgrade, host, expect, serinVersion,
         contentLength, forwardedFor, via
}

/// One field line of a head, as byte offsets into the head: the line is copied whole when it passes through, so
/// no field becomes a `String` unless the router reads its value.
struct HeadField {
    var kind: FieldKind
    /// Where the line (its name) starts.
    var lineStart: Int
    /// The value, without the optional whitespace around it.
    var valueStart: Int
    var valueEnd: Int
    /// Just past the line's CRLF.
    var lineEnd: Int
}

/// How a message's body is delimited (RFC 9112 §6).
enum BodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
    /// A response with neither length nor chunking: its body ends when the connection does.
    case untilClose
}

/// Why a head could not be read. Requests get 400 (431 for `tooLarge`, 505 for `unsupportedVersion`); an
/// upstream's answer gets the client a 502.
struct HTTPHeadError: Error, CustomStringConvertible {
    enum Kind { case malformed, tooLarge, unsupportedVersion }
    var kind: Kind
    var reason: String

    static func malformed(_ reason: String) -> HTTPHeadError { HTTPHeadError(kind: .malformed, reason: reason) }

    var description: String { reason }
}

/// What the fields of a head say, gathered in the one pass that splits them.
struct FieldSemantics {
    var contentLength: Int?
    var transferEncodingSeen = false
    /// The last transfer coding named is `chunked`.
    var chunkedLast = false
    var close = false
    var keepAlive = false
    /// `Connection` names fields besides `close` and `keep-alive`: those are hop-by-hop too (RFC 9110 §7.6.1).
    var listsOtherFields = false
    var expect: (start: Int, end: Int)?
    var host: (start: Int, end: Int)?
    var pinnedVersion: (start: Int, end: Int)?
}

/// A request head as the client sent it, with what the router needs to route and frame it.
struct RequestHead {
    /// The head's bytes, request line to the empty line that ends it.
    var bytes: ByteBuffer
    var methodEnd: Int
    var targetStart: Int
    var targetEnd: Int
    var version: HTTPVersion
    var fields: [HeadField]
    var semantics: FieldSemantics
    var isHEAD: Bool
    var framing: BodyFraming
    /// Whether the client lets the connection carry another request after this one.
    var keepAlive: Bool

    var expectsContinue: Bool {
        guard let expect = semantics.expect else { return false }
        return bytes.withUnsafeReadableBytes { HTTPBytes.equalsLowercased($0, expect.start, expect.end, "100-continue") }
    }

    /// The request target as text, for messages; routing reads its bytes (`withTarget`).
    var uri: String { string(targetStart, targetEnd) }

    func withTarget<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeReadableBytes { body(UnsafeRawBufferPointer(rebasing: $0[targetStart..<targetEnd])) }
    }

    var pinnedVersion: String? {
        guard let pinned = semantics.pinnedVersion else { return nil }
        return string(pinned.start, pinned.end)
    }

    /// Whether the method is `name` (methods are case-sensitive).
    func methodIs(_ name: StaticString) -> Bool {
        guard methodEnd == name.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeReadableBytes { HTTPBytes.equalsExactly($0, 0, methodEnd, name) }
    }

    func string(_ start: Int, _ end: Int) -> String {
        bytes.getString(at: bytes.readerIndex + start, length: end - start) ?? ""
    }
}

/// An upstream's answer head.
struct ResponseHead {
    var bytes: ByteBuffer
    var version: HTTPVersion
    var status: Int
    /// The status code and reason phrase as sent (`200 OK`), copied into the client's head.
    var statusTextStart: Int
    var statusTextEnd: Int
    var fields: [HeadField]
    var semantics: FieldSemantics
    var framing: BodyFraming
    /// Whether the upstream keeps the connection open after this answer.
    var keepAlive: Bool
}

/// Reads HTTP/1.1 heads from raw bytes (RFC 9112 §2–§7), strictly where leniency would let two parties frame one
/// message differently (request smuggling): CRLF line ends only, no whitespace before a field's colon, no folded
/// lines, no control characters in values, one `Content-Length`, `chunked` as the final transfer coding of a
/// request, and not `Content-Length` beside `Transfer-Encoding`.
enum HTTPHeadParser {
    /// Heads larger than this are refused (431 for a request).
    static let maximumHeadSize = 64 * 1024

    /// Where the head at the start of `bytes` ends (just past its empty line), looking from `searchFrom`; nil
    /// while incomplete. A head ending in bare LFs is found too, so that it is refused rather than waited for.
    static func headLength(_ bytes: UnsafeRawBufferPointer, searchFrom: Int) -> Int? {
        let count = bytes.count
        var index = max(searchFrom, 1)
        guard let base = bytes.baseAddress, index < count else { return nil }
        while index < count {
            guard let found = memchr(base + index, Int32(HTTPBytes.lf), count - index) else { return nil }
            let lf = base.distance(to: UnsafeRawPointer(found))
            if bytes[lf - 1] == HTTPBytes.lf || (lf >= 2 && bytes[lf - 1] == HTTPBytes.cr && bytes[lf - 2] == HTTPBytes.lf) {
                return lf + 1
            }
            index = lf + 1
        }
        return nil
    }

    /// Parses a complete request head (`head` holds exactly the head's bytes).
    static func request(_ head: ByteBuffer) throws(HTTPHeadError) -> RequestHead {
        var fields: [HeadField] = []
        return try request(head, fields: &fields)
    }

    /// Parses a complete request head into `fields`, storage reused from one head to the next: once the previous
    /// head that shared it is gone, the fields are written in place, sparing an allocation per request.
    static func request(_ head: ByteBuffer, fields: inout [HeadField]) throws(HTTPHeadError) -> RequestHead {
        try head.withUnsafeReadableBytes { bytes in
            Result { () throws(HTTPHeadError) in try request(bytes, head: head, fields: &fields) }
        }.get()
    }

    private static func request(_ bytes: UnsafeRawBufferPointer, head: ByteBuffer, fields: inout [HeadField])
        throws(HTTPHeadError) -> RequestHead
    {
        let lineEnd = try endOfLine(bytes, from: 0)
        // method SP request-target SP HTTP-version
        var index = 0
        while index < lineEnd, HTTPBytes.isToken(bytes[index]) { index += 1 }
        let methodEnd = index
        guard methodEnd > 0, index < lineEnd, bytes[index] == HTTPBytes.space else {
            throw .malformed("the request line does not start with a method and one space")
        }
        index += 1
        let targetStart = index
        while index < lineEnd, bytes[index] > 0x20, bytes[index] < 0x7F { index += 1 }
        let targetEnd = index
        guard targetEnd > targetStart, index < lineEnd, bytes[index] == HTTPBytes.space else {
            throw .malformed("the request target is empty or holds a space or control character")
        }
        index += 1
        let version = try httpVersion(bytes, index, lineEnd)
        guard index + 8 == lineEnd else { throw .malformed("the request line has text after its HTTP version") }
        var semantics = FieldSemantics()
        try parseFields(bytes, from: lineEnd + 2, into: &fields, semantics: &semantics, isRequest: true)
        let framing: BodyFraming
        if semantics.transferEncodingSeen {
            guard version.minor == 1 else {
                throw .malformed("an HTTP/1.0 request carries Transfer-Encoding, which HTTP/1.0 does not have")
            }
            guard semantics.contentLength == nil else {
                throw .malformed("the request has both Content-Length and Transfer-Encoding; send one")
            }
            guard semantics.chunkedLast else {
                throw .malformed("the request's Transfer-Encoding does not end in chunked, so its length is unknown")
            }
            framing = .chunked
        } else if let length = semantics.contentLength {
            framing = length > 0 ? .length(length) : .none
        } else {
            framing = .none
        }
        let keepAlive = version.minor == 1 ? !semantics.close : semantics.keepAlive && !semantics.close
        let isHEAD = HTTPBytes.equalsExactly(bytes, 0, methodEnd, "HEAD")
        return RequestHead(bytes: head, methodEnd: methodEnd, targetStart: targetStart, targetEnd: targetEnd,
                           version: version, fields: fields, semantics: semantics,
                           isHEAD: isHEAD, framing: framing, keepAlive: keepAlive)
    }

    /// Parses a complete response head. `toHEAD` and the status decide whether a body follows.
    static func response(_ head: ByteBuffer, toHEAD: Bool) throws(HTTPHeadError) -> ResponseHead {
        var fields: [HeadField] = []
        return try response(head, toHEAD: toHEAD, fields: &fields)
    }

    /// Parses a complete response head into `fields`, storage reused as for requests.
    static func response(_ head: ByteBuffer, toHEAD: Bool, fields: inout [HeadField]) throws(HTTPHeadError)
        -> ResponseHead
    {
        try head.withUnsafeReadableBytes { bytes in
            Result { () throws(HTTPHeadError) in try response(bytes, head: head, toHEAD: toHEAD, fields: &fields) }
        }.get()
    }

    private static func response(_ bytes: UnsafeRawBufferPointer, head: ByteBuffer, toHEAD: Bool,
                                 fields: inout [HeadField]) throws(HTTPHeadError) -> ResponseHead
    {
        let lineEnd = try endOfLine(bytes, from: 0)
        // HTTP-version SP 3DIGIT SP [reason-phrase]; a missing space after the code is tolerated.
        guard lineEnd >= 12 else { throw .malformed("the status line is too short") }
        let version = try httpVersion(bytes, 0, lineEnd)
        guard bytes[8] == HTTPBytes.space else { throw .malformed("the status line has no space after the version") }
        var status = 0
        for index in 9..<12 {
            let digit = bytes[index]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else {
                throw .malformed("the status code is not three digits")
            }
            status = status * 10 + Int(digit - UInt8(ascii: "0"))
        }
        guard lineEnd == 12 || bytes[12] == HTTPBytes.space, status >= 100 else {
            throw .malformed("the status line is malformed")
        }
        for index in 12..<lineEnd where !HTTPBytes.isFieldValue(bytes[index]) {
            throw .malformed("the reason phrase holds a control character")
        }
        var semantics = FieldSemantics()
        try parseFields(bytes, from: lineEnd + 2, into: &fields, semantics: &semantics, isRequest: false)
        let framing: BodyFraming
        if toHEAD || status < 200 || status == 204 || status == 304 {
            framing = .none
        } else if semantics.transferEncodingSeen {
            guard semantics.contentLength == nil else {
                throw .malformed("the answer has both Content-Length and Transfer-Encoding")
            }
            framing = semantics.chunkedLast ? .chunked : .untilClose
        } else if let length = semantics.contentLength {
            framing = length > 0 ? .length(length) : .none
        } else {
            framing = .untilClose
        }
        var keepAlive = version.minor == 1 ? !semantics.close : semantics.keepAlive && !semantics.close
        if framing == .untilClose { keepAlive = false }
        return ResponseHead(bytes: head, version: version, status: status, statusTextStart: 9, statusTextEnd: lineEnd,
                            fields: fields, semantics: semantics, framing: framing,
                            keepAlive: keepAlive)
    }

    // MARK: Pieces

    /// The index of the CR of the line starting at `start`; a bare LF or CR is an error.
    private static func endOfLine(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(HTTPHeadError) -> Int {
        var index = start
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == HTTPBytes.cr {
                guard index + 1 < count, bytes[index + 1] == HTTPBytes.lf else {
                    throw .malformed("a line ends in CR without LF")
                }
                return index
            }
            if byte == HTTPBytes.lf { throw .malformed("a line ends in a bare LF; HTTP/1.1 lines end in CRLF") }
            index += 1
        }
        throw .malformed("the head ends mid-line")
    }

    private static func httpVersion(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lineEnd: Int)
        throws(HTTPHeadError) -> HTTPVersion
    {
        guard lineEnd - start >= 8, bytes[start] == UInt8(ascii: "H"), bytes[start + 1] == UInt8(ascii: "T"),
              bytes[start + 2] == UInt8(ascii: "T"), bytes[start + 3] == UInt8(ascii: "P"),
              bytes[start + 4] == UInt8(ascii: "/"), bytes[start + 6] == UInt8(ascii: ".")
        else { throw .malformed("no HTTP version where one belongs") }
        let major = bytes[start + 5], minor = bytes[start + 7]
        guard major >= UInt8(ascii: "0"), major <= UInt8(ascii: "9"), minor >= UInt8(ascii: "0"), minor <= UInt8(ascii: "9")
        else { throw .malformed("the HTTP version is not digit.digit") }
        guard major == UInt8(ascii: "1"), minor <= UInt8(ascii: "1") else {
            throw HTTPHeadError(kind: .unsupportedVersion,
                                reason: "HTTP/\(major - 48).\(minor - 48) is not supported; use HTTP/1.1")
        }
        return HTTPVersion(major: 1, minor: Int(minor - UInt8(ascii: "0")))
    }

    /// Splits the field lines from `start` to the head's empty line, classifying the fields the router reads. One
    /// pass per line: the name up to its colon, then the value up to its CR, each byte checked once.
    private static func parseFields(_ bytes: UnsafeRawBufferPointer, from start: Int, into fields: inout [HeadField],
                                    semantics: inout FieldSemantics, isRequest: Bool) throws(HTTPHeadError)
    {
        fields.removeAll(keepingCapacity: true)
        fields.reserveCapacity(16)
        let count = bytes.count
        var index = start
        while true {
            guard index < count else { throw .malformed("the head ends mid-line") }
            if bytes[index] == HTTPBytes.cr || bytes[index] == HTTPBytes.lf {
                // The empty line that ends the head.
                _ = try lineEnd(bytes, at: index)
                return
            }
            var cursor = index
            while cursor < count, HTTPBytes.isToken(bytes[cursor]) { cursor += 1 }
            let nameEnd = cursor
            guard nameEnd > index else {
                throw .malformed(bytes[index] == HTTPBytes.space || bytes[index] == HTTPBytes.tab
                    ? "a field line is folded (starts with whitespace); send each field on one line"
                    : "a field line does not start with a field name")
            }
            guard cursor < count, bytes[cursor] == UInt8(ascii: ":") else {
                throw .malformed("field \(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<nameEnd]), as: UTF8.self)) "
                    + "has no colon right after its name")
            }
            cursor += 1
            while cursor < count, bytes[cursor] == HTTPBytes.space || bytes[cursor] == HTTPBytes.tab { cursor += 1 }
            let valueStart = cursor
            while cursor < count, HTTPBytes.isFieldValue(bytes[cursor]) { cursor += 1 }
            let end = try lineEnd(bytes, at: cursor)
            var valueEnd = end
            while valueEnd > valueStart, bytes[valueEnd - 1] == HTTPBytes.space || bytes[valueEnd - 1] == HTTPBytes.tab {
                valueEnd -= 1
            }
            let kind = classify(bytes, index, nameEnd)
            try note(kind, bytes, valueStart, valueEnd, &semantics, isRequest: isRequest)
            fields.append(HeadField(kind: kind, lineStart: index, valueStart: valueStart, valueEnd: valueEnd,
                                    lineEnd: end + 2))
            index = end + 2
        }
    }

    /// Checks that the byte at `index`, the first a line's text does not take, starts its CRLF, and returns
    /// `index`; any other byte there is a control character, a bare LF or CR, or the head's end.
    @inline(__always)
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(HTTPHeadError) -> Int {
        guard index < bytes.count else { throw .malformed("the head ends mid-line") }
        switch bytes[index] {
        case HTTPBytes.cr:
            guard index + 1 < bytes.count, bytes[index + 1] == HTTPBytes.lf else {
                throw .malformed("a line ends in CR without LF")
            }
            return index
        case HTTPBytes.lf:
            throw .malformed("a line ends in a bare LF; HTTP/1.1 lines end in CRLF")
        default:
            throw .malformed("a field value holds a control character")
        }
    }

    private static func note(_ kind: FieldKind, _ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int,
                             _ semantics: inout FieldSemantics, isRequest: Bool) throws(HTTPHeadError)
    {
        switch kind {
        case .contentLength:
            guard end > start, end - start <= 18 else { throw .malformed("Content-Length is empty or too large") }
            var length = 0
            for index in start..<end {
                let digit = bytes[index]
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else {
                    throw .malformed("Content-Length is not a number of bytes")
                }
                length = length * 10 + Int(digit - UInt8(ascii: "0"))
            }
            if let earlier = semantics.contentLength, earlier != length || isRequest {
                throw .malformed("Content-Length is given more than once")
            }
            semantics.contentLength = length
        case .transferEncoding:
            semantics.transferEncodingSeen = true
            var failure: HTTPHeadError?
            HTTPBytes.forEachToken(bytes, start, end) { tokenStart, tokenEnd in
                if semantics.chunkedLast {
                    failure = .malformed("Transfer-Encoding names a coding after chunked")
                }
                semantics.chunkedLast = HTTPBytes.equalsLowercased(bytes, tokenStart, tokenEnd, "chunked")
            }
            if let failure { throw failure }
        case .connection:
            HTTPBytes.forEachToken(bytes, start, end) { tokenStart, tokenEnd in
                if HTTPBytes.equalsLowercased(bytes, tokenStart, tokenEnd, "close") {
                    semantics.close = true
                } else if HTTPBytes.equalsLowercased(bytes, tokenStart, tokenEnd, "keep-alive") {
                    semantics.keepAlive = true
                } else {
                    semantics.listsOtherFields = true
                }
            }
        case .expect: semantics.expect = (start, end)
        case .host:
            if isRequest, semantics.host != nil { throw .malformed("Host is given more than once") }
            semantics.host = (start, end)
        case .serinVersion: semantics.pinnedVersion = (start, end)
        default: break
        }
    }

    /// The kind of the field named by `bytes[start..<end]`, compared without regard to case.
    private static func classify(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> FieldKind {
        func named(_ name: StaticString) -> Bool { HTTPBytes.equalsLowercased(bytes, start, end, name) }
        switch end - start {
        case 2: return named("te") ? .te : .other
        case 3: return named("via") ? .via : .other
        case 4: return named("host") ? .host : .other
        case 6: return named("expect") ? .expect : .other
        case 7: return named("upgrade") ? .upgrade : .other
        case 10:
            if named("connection") { return .connection }
            return named("keep-alive") ? .keepAlive : .other
        case 14: return named("content-length") ? .contentLength : .other
        case 15:
            if named("x-forwarded-for") { return .forwardedFor }
            return named("x-serin-version") ? .serinVersion : .other
        case 16: return named("proxy-connection") ? .proxyConnection : .other
        case 17: return named("transfer-encoding") ? .transferEncoding : .other
        default: return .other
        }
    }
}

/// Byte classes and comparisons for HTTP/1.1 text.
enum HTTPBytes {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    /// tchar (RFC 9110 §5.6.2).
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "#"),
             UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"),
             UInt8(ascii: "+"), UInt8(ascii: "^"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// field-vchar, SP, HTAB or obs-text (RFC 9110 §5.5): anything but control characters.
    @inline(__always)
    static func isFieldValue(_ byte: UInt8) -> Bool {
        byte >= 0x20 ? byte != 0x7F : byte == tab
    }

    /// Whether `bytes[start..<end]` equals the lowercase ASCII `name`, ignoring case.
    @inline(__always)
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ name: StaticString) -> Bool {
        guard end - start == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for offset in 0..<(end - start) {
            let byte = bytes[start + offset]
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if folded != expected[offset] { return false }
        }
        return true
    }

    /// The value of a hexadecimal digit, either case; nil for any other byte.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Whether `bytes[start..<end]` is exactly `text`.
    @inline(__always)
    static func equalsExactly(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ text: StaticString) -> Bool {
        guard end - start == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for offset in 0..<(end - start) where bytes[start + offset] != expected[offset] { return false }
        return true
    }

    /// Calls `body` with each non-empty element of a comma-separated list, without the whitespace around it (and
    /// without parameters after `;`).
    @inline(__always)
    static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ body: (Int, Int) -> Void) {
        var index = start
        while index < end {
            while index < end, bytes[index] == space || bytes[index] == tab || bytes[index] == UInt8(ascii: ",") {
                index += 1
            }
            let tokenStart = index
            while index < end, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: ";") { index += 1 }
            var tokenEnd = index
            while tokenEnd > tokenStart, bytes[tokenEnd - 1] == space || bytes[tokenEnd - 1] == tab { tokenEnd -= 1 }
            if tokenEnd > tokenStart { body(tokenStart, tokenEnd) }
            while index < end, bytes[index] != UInt8(ascii: ",") { index += 1 }
        }
    }
}
