import NIOHTTP1

/// How heads change on their way through the router, per RFC 9110 §7.6: hop-by-hop fields (those of one
/// connection, not of the message) stop here, each side gets its own framing and connection management, and the
/// upstream learns who asked and through whom.
enum ForwardedHeaders {
    /// Pins a request to a version; on answers, names the version that served it.
    static let versionHeader = "X-Serin-Version"
    /// Added to `Via` on both heads (RFC 9110 §7.6.3), after the protocol version.
    static let pseudonym = "serin"

    /// Fields that describe one connection (RFC 9110 §7.6.1): never forwarded. `Transfer-Encoding` is the
    /// sender's framing; NIO frames each side anew. `Expect` is answered by the router itself (it sends
    /// `100 Continue` at once), so the upstream never waits for a go-ahead that would not come.
    private static let requestFieldsDropped = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding",
                                               "upgrade", "host", "expect", "x-serin-version"]
    private static let responseFieldsDropped = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding",
                                                "upgrade", "x-serin-version"]

    /// The head sent upstream: same method and path, HTTP/1.1 whatever the client spoke (so the upstream
    /// connection can be kept alive), `Host` set to the upstream, the client's address appended to
    /// `X-Forwarded-For`, the original `Host` in `X-Forwarded-Host`, and `Via` extended.
    static func upstreamRequest(_ head: HTTPRequestHead, hostHeader: String, clientAddress: String?) -> HTTPRequestHead {
        let listed = connectionListedFields(head.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 4)
        headers.add(name: "Host", value: hostHeader)
        var forwardedFor: String?
        var via: String?
        var chunked = false
        for (name, value) in head.headers {
            if isOneOf(name, requestFieldsDropped) {
                if equalsIgnoringCase(name, "transfer-encoding") && value.lowercased().contains("chunked") { chunked = true }
                if equalsIgnoringCase(name, "host") { headers.add(name: "X-Forwarded-Host", value: value) }
                continue
            }
            if let listed, isOneOf(name, listed) { continue }
            if equalsIgnoringCase(name, "x-forwarded-for") {
                forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value
                continue
            }
            if equalsIgnoringCase(name, "via") {
                via = via.map { "\($0), \(value)" } ?? value
                continue
            }
            headers.add(name: name, value: value)
        }
        if let clientAddress {
            headers.add(name: "X-Forwarded-For", value: forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress)
        } else if let forwardedFor {
            headers.add(name: "X-Forwarded-For", value: forwardedFor)
        }
        let hop = viaEntry(head.version)
        headers.add(name: "Via", value: via.map { "\($0), \(hop)" } ?? hop)
        if chunked {
            // A body of unknown length: NIO's encoder chunks it again only when told to for methods such as GET.
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The head sent to the client: the upstream's status and end-to-end fields, `Via` extended, the serving
    /// version in `X-Serin-Version`, and this side's own connection management.
    static func clientResponse(_ head: HTTPResponseHead, clientVersion: HTTPVersion, keepAlive: Bool,
                               servedBy version: String) -> HTTPResponseHead
    {
        let listed = connectionListedFields(head.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 3)
        var via: String?
        for (name, value) in head.headers {
            if isOneOf(name, responseFieldsDropped) { continue }
            if let listed, isOneOf(name, listed) { continue }
            if equalsIgnoringCase(name, "via") {
                via = via.map { "\($0), \(value)" } ?? value
                continue
            }
            headers.add(name: name, value: value)
        }
        let hop = viaEntry(head.version)
        headers.add(name: "Via", value: via.map { "\($0), \(hop)" } ?? hop)
        headers.add(name: versionHeader, value: version)
        addConnectionManagement(to: &headers, clientVersion: clientVersion, keepAlive: keepAlive)
        return HTTPResponseHead(version: clientVersion, status: head.status, headers: headers)
    }

    /// `1.1 serin`: made once for the usual versions rather than on every request.
    private static func viaEntry(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): return via11
        case (1, 0): return via10
        default: return "\(version.major).\(version.minor) \(pseudonym)"
        }
    }

    private static let via11 = "1.1 \(pseudonym)"
    private static let via10 = "1.0 \(pseudonym)"

    /// `Connection: close` when the router will close, `Connection: keep-alive` for an HTTP/1.0 client it keeps.
    static func addConnectionManagement(to headers: inout HTTPHeaders, clientVersion: HTTPVersion, keepAlive: Bool) {
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if clientVersion.major == 1 && clientVersion.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
    }

    /// The lowercased field names a `Connection` header lists besides `close` and `keep-alive` (RFC 9110 §7.6.1:
    /// they are hop-by-hop too); nil when there are none, the usual case, so nothing is allocated for it.
    private static func connectionListedFields(_ headers: HTTPHeaders) -> [String]? {
        guard headers.contains(name: "connection") else { return nil }
        let tokens = headers[canonicalForm: "connection"].map { $0.lowercased() }.filter { $0 != "close" && $0 != "keep-alive" }
        return tokens.isEmpty ? nil : tokens
    }

    private static func isOneOf(_ name: String, _ lowercased: [String]) -> Bool {
        lowercased.contains { equalsIgnoringCase(name, $0) }
    }

    /// ASCII case-insensitive comparison with an already lowercased name, without allocating.
    @inline(__always)
    static func equalsIgnoringCase(_ name: String, _ lowercased: String) -> Bool {
        guard name.utf8.count == lowercased.utf8.count else { return false }
        var other = lowercased.utf8.makeIterator()
        for byte in name.utf8 {
            guard let expected = other.next() else { return false }
            let folded = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            if folded != expected { return false }
        }
        return other.next() == nil
    }
}
