/// Remote addresses as users write them, and their redaction for messages.
public enum RemoteURL {
    /// The address with any `user:password@` removed, safe to log.
    public static func redacting(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        let userinfo = rest[..<at]
        let user = userinfo.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let kept = userinfo.contains(":") ? "\(user):***@" : "\(user)@"
        return String(url[..<scheme.upperBound]) + kept + rest[rest.index(after: at)...]
    }

    /// Every URL in `text` redacted, for messages that quote URLs (libgit2's often do).
    public static func redactingURLs(in text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.contains("://") ? redacting(String($0)) : String($0) }
            .joined(separator: " ")
    }

    /// The file-system path of a local remote (a path or `file://` URL), nil for network remotes.
    public static func localPath(_ address: String) -> String? {
        if address.hasPrefix("file://") { return String(address.dropFirst("file://".count)) }
        if address.hasPrefix("/") || address.hasPrefix(".") { return address }
        return nil
    }

    /// The SSH host and port of an address (`ssh://user@host:port/path`, scp-like `user@host:path`, and the scp-like
    /// forms libgit2 also reads: `[user@host:port]:path`, the only one carrying a port, and `user@[::1]:path`), for
    /// known_hosts lookups; nil for other transports.
    public static func sshHost(of address: String) -> (host: String, port: Int)? {
        var authority: Substring
        if !address.contains("://"), address.hasPrefix("["), let close = address.firstIndex(of: "]"),
           address[address.index(after: close)...].hasPrefix(":") {
            // `[user@host:port]:path`
            authority = address[address.index(after: address.startIndex)..<close]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            guard let colon = authority.lastIndex(of: ":") else { return authority.isEmpty ? nil : (String(authority), 22) }
            let host = authority[..<colon]
            guard !host.isEmpty, let port = Int(authority[authority.index(after: colon)...]) else { return nil }
            return (String(host), port)
        }
        if !address.contains("://"), !address.hasPrefix("/"), !address.hasPrefix("."),
           let open = address.firstIndex(of: "["), let close = address.firstIndex(of: "]"), open < close,
           address[..<open].allSatisfy({ $0 != ":" && $0 != "/" }), address[..<open].isEmpty || address[..<open].hasSuffix("@"),
           address[address.index(after: close)...].hasPrefix(":") {
            // `user@[::1]:path`
            let host = address[address.index(after: open)..<close]
            return host.isEmpty ? nil : (String(host), 22)
        }
        if address.hasPrefix("ssh://") || address.hasPrefix("ssh+git://") || address.hasPrefix("git+ssh://") {
            guard let scheme = address.firstRange(of: "://") else { return nil }
            authority = address[scheme.upperBound...].prefix { $0 != "/" }
        } else if !address.contains("://"), !address.hasPrefix("/"), !address.hasPrefix("."),
                  let colon = address.firstIndex(of: ":"), !address[..<colon].contains("/") {
            authority = address[..<colon]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            return authority.isEmpty ? nil : (String(authority), 22)
        } else {
            return nil
        }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let port = authority[authority.index(after: close)...].dropFirst()
            return (host, Int(port) ?? 22)
        }
        let parts = authority.split(separator: ":", maxSplits: 1)
        guard let host = parts.first else { return nil }
        return (String(host), parts.count == 2 ? Int(parts[1]) ?? 22 : 22)
    }
}
