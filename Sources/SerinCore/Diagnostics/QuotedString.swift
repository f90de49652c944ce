/// Double-quoted string literals for the two notations Serin writes: YAML (documents, and values quoted in
/// diagnostics, so they read as the user would type them) and JSON (reports). Both escape `"`, `\`, newline,
/// tab and carriage return the same way and differ only in how other invisible characters are spelt.
enum QuotedString {
    /// YAML double-quoted: `\xXX` below U+0100, `\uXXXX` above, for control characters, DEL and the BOM.
    static func yaml(_ text: String) -> String {
        quote(text) { scalar in
            guard scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{FEFF}" else { return nil }
            return scalar.value < 0x100 ? "\\x" + hex(scalar.value, width: 2) : "\\u" + hex(scalar.value, width: 4)
        }
    }

    /// JSON: `\uXXXX` for the control characters JSON forbids raw.
    static func json(_ text: String) -> String {
        quote(text) { scalar in
            scalar.value < 0x20 ? "\\u" + hex(scalar.value, width: 4) : nil
        }
    }

    private static func quote(_ text: String, escape: (Unicode.Scalar) -> String?) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if let escaped = escape(scalar) {
                    result += escaped
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
