import Crypto

/// Proves that a webhook request comes from someone who knows the secret. Pure: no I/O, no logging.
///
/// Every comparison runs in constant time (swift-crypto's `isValidAuthenticationCode`), so response timing
/// tells an attacker nothing about how much of a guess was right. Signatures cover the body only, as GitHub's
/// do: a replayed delivery can at worst trigger one more sync, which finds nothing new.
public struct WebhookVerifier: Sendable {
    /// Why a request was not accepted. The descriptions name the header, never the secret or the value sent.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// No signature or token header, or an empty one.
        case missing(header: String)
        /// The header is there more than once: ambiguous, so refused.
        case repeated(header: String)
        /// The header is not `sha256=` followed by 64 hexadecimal digits.
        case malformed(header: String)
        /// The signature or token does not match the secret.
        case mismatch(header: String)

        public var description: String {
            switch self {
            case .missing(let header): "the request has no \(header) header"
            case .repeated(let header): "the request has more than one \(header) header"
            case .malformed(let header): "\(header) is not sha256=<64 hexadecimal digits>"
            case .mismatch(let header): "\(header) does not match the configured secret"
            }
        }

        /// A short word for log lines and metrics.
        public var reason: String {
            switch self {
            case .missing: "missing"
            case .repeated: "repeated"
            case .malformed: "malformed"
            case .mismatch: "mismatch"
            }
        }
    }

    private let secret: WebhookSecret
    /// A random key, new for each verifier, under which a token and the secret are both MACed before they are
    /// compared: the comparison then takes the same time whatever the token's length or content.
    private let comparisonKey = SymmetricKey(size: .bits256)

    public init(secret: WebhookSecret) {
        self.secret = secret
    }

    /// Checks `sha256=<hex HMAC-SHA256 of body>` (GitHub's `X-Hub-Signature-256`, Serin's `X-Serin-Signature`).
    /// `values` are every value the header had.
    public func verifySignature(_ values: [String], header: String, body: [UInt8]) throws(Failure) {
        let value = try single(values, header: header)
        let prefix = "sha256="
        guard value.count == prefix.count + 64, value.lowercased().hasPrefix(prefix),
              let code = Self.bytes(hex: value.utf8.dropFirst(prefix.count))
        else { throw .malformed(header: header) }
        guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: secret.key) else {
            throw .mismatch(header: header)
        }
    }

    /// Checks a token sent as it is (GitLab's `X-Gitlab-Token`).
    public func verifyToken(_ values: [String], header: String) throws(Failure) {
        let token = try single(values, header: header)
        let code = HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: comparisonKey)
        guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: secret.bytes, using: comparisonKey) else {
            throw .mismatch(header: header)
        }
    }

    /// The header value that signs `body` with `secret`: what a sender puts in `X-Serin-Signature`.
    public static func signature(of body: [UInt8], secret: WebhookSecret) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: secret.key)
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private func single(_ values: [String], header: String) throws(Failure) -> String {
        guard values.count <= 1 else { throw .repeated(header: header) }
        guard let value = values.first, !value.isEmpty else { throw .missing(header: header) }
        return value
    }

    /// Bytes from hexadecimal digits in either case; nil for anything else or an odd count.
    static func bytes(hex digits: some Collection<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for digit in digits {
            let value: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }
}
