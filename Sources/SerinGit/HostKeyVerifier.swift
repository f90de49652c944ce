import Crypto
import Foundation

/// The key an SSH server presented: its wire-format blob when libssh2 exposes it, and its SHA-256 fingerprint.
struct PresentedHostKey {
    var blob: [UInt8]?
    var sha256: [UInt8]?

    func matches(_ knownBlob: [UInt8]) -> Bool {
        if let blob { return blob == knownBlob }
        if let sha256 { return Array(SHA256.hash(data: knownBlob)) == sha256 }
        return false
    }
}

/// Decides whether to trust an SSH server's host key, the way OpenSSH's StrictHostKeyChecking does: a key listed in
/// known_hosts for the host (and port) is accepted; an unknown host or a changed key is refused unless the user
/// explicitly chose otherwise. TLS servers are not its concern (libgit2 verifies them against the CA bundle).
public struct HostKeyVerifier: Sendable {
    public enum Policy: Sendable, Hashable {
        /// Only keys listed in known_hosts (the default).
        case strict
        /// Also hosts known_hosts does not list; a listed host with a different key is still refused.
        case acceptUnknownHosts
        /// Any key. Insecure: for throwaway test setups only.
        case insecureAcceptAny
    }

    enum Verdict: Equatable {
        case accepted
        case refused(String)
    }

    public var knownHosts: KnownHosts
    public var policy: Policy
    /// The port the remote URL names; known_hosts lists non-22 ports as `[host]:port`.
    public var port: Int

    public init(knownHosts: KnownHosts = KnownHosts(entries: []), policy: Policy = .strict, port: Int = 22) {
        self.knownHosts = knownHosts
        self.policy = policy
        self.port = port
    }

    func verify(host: String, key: PresentedHostKey) -> Verdict {
        if policy == .insecureAcceptAny { return .accepted }
        let name = port == 22 ? host : "[\(host)]:\(port)"
        let entries = knownHosts.entries(for: name)
        if entries.contains(where: { $0.marker == .revoked && key.matches($0.key) }) {
            return .refused("the host key of \(name) is marked @revoked in known_hosts")
        }
        let candidates = entries.filter { $0.marker == nil }
        if candidates.contains(where: { key.matches($0.key) }) { return .accepted }
        if candidates.isEmpty {
            return policy == .acceptUnknownHosts
                ? .accepted
                : .refused("\(name) is not in known_hosts; refusing its host key (SHA256:\(key.fingerprint))")
        }
        return .refused("the host key of \(name) does not match known_hosts (SHA256:\(key.fingerprint)): it changed, or someone is intercepting the connection")
    }
}

extension PresentedHostKey {
    /// OpenSSH's fingerprint notation: base64 of the SHA-256 digest without padding.
    var fingerprint: String {
        let digest = sha256 ?? blob.map { Array(SHA256.hash(data: $0)) } ?? []
        return Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}

/// An OpenSSH known_hosts file: plain and hashed (`|1|salt|hash`) host patterns, `@revoked` and
/// `@cert-authority` markers (certificate authorities are not supported and never match).
public struct KnownHosts: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public enum Marker: Sendable, Hashable { case revoked, certificateAuthority }
        var marker: Marker?
        var patterns: [String]
        var keyType: String
        var key: [UInt8]
    }

    var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GitError(kind: .hostKey, operation: "read the known_hosts file", message: "cannot read \(path)")
        }
        self.init(parsing: String(decoding: data, as: UTF8.self))
    }

    /// Parses known_hosts text; malformed lines are skipped, as OpenSSH does.
    public init(parsing text: String) {
        var entries: [Entry] = []
        for line in text.split(whereSeparator: \.isNewline) {
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var marker: Entry.Marker?
            if first == "@revoked" { marker = .revoked; fields.removeFirst() }
            else if first == "@cert-authority" { marker = .certificateAuthority; fields.removeFirst() }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            entries.append(Entry(marker: marker, patterns: fields[0].split(separator: ",").map(String.init),
                                 keyType: fields[1], key: Array(key)))
        }
        self.entries = entries
    }

    /// The base64 keys trusted for `host` (in `[host]:port` form when the port is not 22), for inspection.
    public func keys(for host: String) -> [String] {
        entries(for: host).filter { $0.marker == nil }.map { Data($0.key).base64EncodedString() }
    }

    /// The entries whose host patterns name `host` (already in `[host]:port` form when the port is not 22).
    func entries(for host: String) -> [Entry] {
        entries.filter { entry in
            var matched = false
            for pattern in entry.patterns {
                let negated = pattern.hasPrefix("!")
                let body = negated ? String(pattern.dropFirst()) : pattern
                if Self.matches(body, host) {
                    if negated { return false }
                    matched = true
                }
            }
            return matched
        }
    }

    private static func matches(_ pattern: String, _ host: String) -> Bool {
        if pattern.hasPrefix("|1|") {
            let parts = pattern.split(separator: "|", omittingEmptySubsequences: true)
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                  let hash = Data(base64Encoded: String(parts[2])) else { return false }
            let code = HMAC<Insecure.SHA1>.authenticationCode(for: Data(host.utf8), using: SymmetricKey(data: salt))
            return Data(code) == hash
        }
        return wildcardMatch(Array(pattern.lowercased()), Array(host.lowercased()))
    }

    /// `*` and `?` wildcards, as in OpenSSH host patterns.
    private static func wildcardMatch(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0, star = -1, mark = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) {
                p += 1; t += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p; mark = t; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
