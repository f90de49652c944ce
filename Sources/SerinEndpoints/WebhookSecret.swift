import Crypto

/// A webhook's shared secret: the HMAC key of GitHub and generic webhooks, the token GitLab sends.
///
/// Its descriptions never show the value, so a secret that ends up in a log line, an error or `dump` by mistake
/// still does not leak. Compare it only through `WebhookVerifier`, which does so in constant time.
public struct WebhookSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let bytes: [UInt8]

    /// A secret from its bytes. Throws `EndpointsError.emptySecret` for an empty one: an empty HMAC key is one
    /// anybody can sign with.
    public init(bytes: [UInt8], origin: String = "the webhook secret") throws(EndpointsError) {
        guard !bytes.isEmpty else { throw .emptySecret(origin: origin) }
        self.bytes = bytes
    }

    /// A secret from text, as it was given (no trimming: `SecretSource` trims what it reads).
    public init(_ text: String, origin: String = "the webhook secret") throws(EndpointsError) {
        try self.init(bytes: Array(text.utf8), origin: origin)
    }

    var key: SymmetricKey { SymmetricKey(data: bytes) }

    public var description: String { "<redacted webhook secret>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
