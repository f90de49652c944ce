/// A failed Git operation: what Serin was doing, libgit2's own message, and a kind callers can act on.
/// Descriptions never contain credentials: URLs are redacted before they reach a message.
public struct GitError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case notFound
        /// The remote refused the credentials, or none were configured.
        case authentication
        /// TLS certificate verification failed.
        case certificate
        /// The SSH host key is unknown, changed or revoked.
        case hostKey
        /// A push was refused because the remote branch moved on.
        case nonFastForward
        case cancelled
        case other
    }

    public var kind: Kind
    public var operation: String
    public var message: String
    /// libgit2's return code, when the error came from libgit2.
    public var code: Int32

    public init(kind: Kind, operation: String, message: String, code: Int32 = -1) {
        self.kind = kind
        self.operation = operation
        self.message = message
        self.code = code
    }

    public var description: String {
        let advice: String = switch kind {
        case .authentication: " (check the credentials configured for this remote)"
        case .hostKey: " (add the host's key to the known_hosts file, or verify why it changed)"
        case .certificate: " (the server's TLS certificate did not verify: check the name it was issued for, and trust a private certificate authority with --ca-file)"
        default: ""
        }
        return "could not \(operation): \(RemoteURL.redactingURLs(in: message))\(advice)"
    }
}
