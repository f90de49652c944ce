import NIOCore
import NIOHTTP1

/// How heads change on their way through the router, per RFC 9110 §7.6: hop-by-hop fields (those of one
/// connection, not of the message) stop here, each side gets its own connection management, and the upstream
/// learns who asked and through whom.
///
/// Heads are rewritten as bytes: field lines that pass through are copied whole from the head as it came, and
/// bodies keep the framing they came with (so `Content-Length` and `Transfer-Encoding` pass through too), which is
/// what lets the router forward a body without decoding it.
enum ForwardedHeaders {
    /// Pins a request to a version; on answers, names the version that served it.
    static let versionHeader = "X-Serin-Version"
    /// Added to `Via` on both heads (RFC 9110 §7.6.3), after the protocol version.
    static let pseudonym = "serin"

    /// The head sent upstream: same method and target, HTTP/1.1 whatever the client spoke (so the upstream
    /// connection can be kept alive), `Host` set to the upstream, the client's address appended to
    /// `X-Forwarded-For`, the original `Host` in `X-Forwarded-Host`, and `Via` extended. Dropped: the fields of
    /// the client's connection (`Connection` and those it lists, `Keep-Alive`, `Proxy-Connection`, `TE`,
    /// `Upgrade`), `Expect` (the router answers `100 Continue` itself, so the upstream never waits for a go-ahead
    /// that would not come) and `X-Serin-Version`.
    static func writeUpstreamRequest(_ head: RequestHead, hostHeader: String, clientAddress: String?,
                                     into out: inout ByteBuffer)
    {
        head.bytes.withUnsafeReadableBytes { bytes in
            let listed = head.semantics.listsOtherFields ? listedNames(bytes, head.fields) : []
            // What is added to the head as it came: Host's, X-Forwarded-Host's, X-Forwarded-For's and Via's names,
            // separators and new values.
            let estimate = bytes.count + hostHeader.utf8.count + (clientAddress?.utf8.count ?? 0) + 96
            out.writeHead(estimate: estimate) { out in
                out.write(UnsafeRawBufferPointer(rebasing: bytes[0..<head.targetEnd]))
                out.write(" HTTP/1.1\r\nHost: ")
                out.write(hostHeader)
                out.write("\r\n")
                copyFieldLines(bytes, head.fields, into: &out) { field in
                    switch field.kind {
                    case .connection, .keepAlive, .proxyConnection, .te, .upgrade, .expect, .serinVersion, .host,
                         .forwardedFor, .via:
                        return false
                    case .other:
                        return listed.isEmpty || !isListed(bytes, field, listed)
                    case .contentLength, .transferEncoding:
                        return true
                    }
                }
                if let host = head.semantics.host {
                    out.write("X-Forwarded-Host: ")
                    out.write(UnsafeRawBufferPointer(rebasing: bytes[host.start..<host.end]))
                    out.write("\r\n")
                }
                let forwardedFor = joined(bytes, head.fields, .forwardedFor, into: &out, name: "X-Forwarded-For: ")
                if let clientAddress {
                    out.write(forwardedFor ? ", " : "X-Forwarded-For: ")
                    out.write(clientAddress)
                    out.write("\r\n")
                } else if forwardedFor {
                    out.write("\r\n")
                }
                let via = joined(bytes, head.fields, .via, into: &out, name: "Via: ")
                out.write(via ? ", " : "Via: ")
                writeViaEntry(head.version, to: &out)
                out.write("\r\n\r\n")
            }
        }
    }

    /// The head sent to the client: the upstream's status and end-to-end fields, `Via` extended, the serving
    /// version in `X-Serin-Version`, and this side's own connection management. `dechunked` drops
    /// `Transfer-Encoding`, for an HTTP/1.0 client that gets the body's content without chunked framing.
    static func writeClientResponse(_ head: ResponseHead, clientVersion: HTTPVersion, keepAlive: Bool,
                                    servedBy version: String, dechunked: Bool, into out: inout ByteBuffer)
    {
        head.bytes.withUnsafeReadableBytes { bytes in
            let listed = head.semantics.listsOtherFields ? listedNames(bytes, head.fields) : []
            // What is added: Via's name, separator and entry, X-Serin-Version and Connection.
            out.writeHead(estimate: bytes.count + version.utf8.count + 96) { out in
                out.write(clientVersion.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
                out.write(UnsafeRawBufferPointer(rebasing: bytes[head.statusTextStart..<head.statusTextEnd]))
                out.write("\r\n")
                copyFieldLines(bytes, head.fields, into: &out) { field in
                    switch field.kind {
                    case .connection, .keepAlive, .proxyConnection, .te, .upgrade, .serinVersion, .via:
                        return false
                    case .transferEncoding:
                        return !dechunked
                    case .other:
                        return listed.isEmpty || !isListed(bytes, field, listed)
                    case .contentLength, .host, .expect, .forwardedFor:
                        return true
                    }
                }
                let via = joined(bytes, head.fields, .via, into: &out, name: "Via: ")
                out.write(via ? ", " : "Via: ")
                writeViaEntry(head.version, to: &out)
                out.write("\r\nX-Serin-Version: ")
                out.write(version)
                out.write("\r\n")
                if let field = connectionField(clientVersion: clientVersion, keepAlive: keepAlive) { out.write(field) }
                out.write("\r\n")
            }
        }
    }

    /// `Connection: close` when the router will close, `Connection: keep-alive` for an HTTP/1.0 client it keeps,
    /// else nothing: the field line that manages the client's side of the connection.
    static func connectionField(clientVersion: HTTPVersion, keepAlive: Bool) -> StaticString? {
        if !keepAlive { return "Connection: close\r\n" }
        return clientVersion.minor == 0 ? "Connection: keep-alive\r\n" : nil
    }

    /// Copies the field lines `passes` lets through, each run of adjacent lines in one write.
    @inline(__always)
    private static func copyFieldLines(_ bytes: UnsafeRawBufferPointer, _ fields: [HeadField],
                                       into out: inout HeadWriter,
                                       where passes: (HeadField) -> Bool)
    {
        var runStart = 0, runEnd = 0
        for field in fields where passes(field) {
            if field.lineStart != runEnd {
                if runEnd > runStart { out.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<runEnd])) }
                runStart = field.lineStart
            }
            runEnd = field.lineEnd
        }
        if runEnd > runStart { out.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<runEnd])) }
    }

    /// `1.1 serin`.
    private static func writeViaEntry(_ version: HTTPVersion, to out: inout HeadWriter) {
        out.write(version.minor == 0 ? "1.0 serin" : "1.1 serin")
    }

    /// Writes `name` and the values of every `kind` field joined by commas, without ending the line; false (and
    /// nothing written) when there is none.
    private static func joined(_ bytes: UnsafeRawBufferPointer, _ fields: [HeadField], _ kind: FieldKind,
                               into out: inout HeadWriter, name: StaticString) -> Bool
    {
        var any = false
        for field in fields where field.kind == kind {
            out.write(any ? ", " : name)
            out.write(UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd]))
            any = true
        }
        return any
    }

    /// The lowercased field names `Connection` lists besides `close` and `keep-alive`.
    private static func listedNames(_ bytes: UnsafeRawBufferPointer, _ fields: [HeadField]) -> [[UInt8]] {
        var names: [[UInt8]] = []
        for field in fields where field.kind == .connection {
            HTTPBytes.forEachToken(bytes, field.valueStart, field.valueEnd) { start, end in
                let name = bytes[start..<end].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                if name != Array("close".utf8), name != Array("keep-alive".utf8) { names.append(name) }
            }
        }
        return names
    }

    private static func isListed(_ bytes: UnsafeRawBufferPointer, _ field: HeadField, _ listed: [[UInt8]]) -> Bool {
        var nameEnd = field.lineStart
        while bytes[nameEnd] != UInt8(ascii: ":") { nameEnd += 1 }
        return listed.contains { name in
            name.count == nameEnd - field.lineStart && name.indices.allSatisfy { offset in
                let byte = bytes[field.lineStart + offset]
                return (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == name[offset]
            }
        }
    }
}
