import Crypto

/// HMAC-SHA256 over a webhook's exact body bytes, sent as `X-Serin-Signature: sha256=<lowercase hex>`, so a
/// receiver can tell Serin's requests from anyone else's. Receivers verify with `isValid` (or their own HMAC) over
/// the raw body they received, before parsing it.
public enum WebhookSignature {
    public static let header = "X-Serin-Signature"

    /// `sha256=<hex>` for `body` under `key`.
    public static func sign(_ body: [UInt8], key: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Whether `signature` (`sha256=<hex>`) is `body`'s under `key`, compared in constant time.
    public static func isValid(_ signature: String, body: [UInt8], key: [UInt8]) -> Bool {
        guard signature.hasPrefix("sha256="), let code = hexBytes(signature.dropFirst("sha256=".count)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: key))
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
