/// A short, stable digest of text, for telling whether a spec changed. FNV-1a, 64 bits: enough to detect edits, not
/// a security boundary (nothing trusts it against an adversary; Git's object names do that job).
public enum Fingerprint {
    /// Sixteen lowercase hexadecimal digits.
    public static func of(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
