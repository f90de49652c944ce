/// A value to write as YAML. Mappings keep their order, so output is stable and reads in the spec's own order.
public indirect enum YAMLValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case list([YAMLValue])
    case mapping([(String, YAMLValue)])

    public static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool { YAMLWriter.write(lhs) == YAMLWriter.write(rhs) }
    public func hash(into hasher: inout Hasher) { hasher.combine(YAMLWriter.write(self)) }
}

/// Writes `YAMLValue`s as block-style YAML that reads back to the same values: strings that YAML could take for
/// something else (`"13"`, `"true"`, `"null"`, text with `: ` or `#`) are double-quoted.
public enum YAMLWriter {
    public static func write(_ value: YAMLValue) -> String {
        var output = ""
        switch value {
        case .mapping(let pairs) where !pairs.isEmpty: writeMapping(pairs, indent: 0, into: &output)
        case .list(let items) where !items.isEmpty && !isFlowList(items): writeList(items, indent: 0, into: &output)
        default: output = inline(value) + "\n"
        }
        return output
    }

    private static func writeMapping(_ pairs: [(String, YAMLValue)], indent: Int, into output: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in pairs {
            output += pad + scalar(key) + ":"
            writeNested(value, indent: indent, into: &output)
        }
    }

    private static func writeList(_ items: [YAMLValue], indent: Int, into output: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .mapping(let pairs) where !pairs.isEmpty:
                // The first pair shares the dash's line; the rest align under it.
                var nested = ""
                writeMapping(pairs, indent: indent + 2, into: &nested)
                output += pad + "- " + nested.dropFirst(indent + 2)
            default:
                output += pad + "-"
                writeNested(item, indent: indent, into: &output)
            }
        }
    }

    private static func writeNested(_ value: YAMLValue, indent: Int, into output: inout String) {
        switch value {
        case .mapping(let pairs) where !pairs.isEmpty:
            output += "\n"
            writeMapping(pairs, indent: indent + 2, into: &output)
        case .list(let items) where !items.isEmpty && !isFlowList(items):
            output += "\n"
            writeList(items, indent: indent + 2, into: &output)
        default:
            output += " " + inline(value) + "\n"
        }
    }

    /// Short lists of numbers, such as rollout steps, read best on one line.
    private static func isFlowList(_ items: [YAMLValue]) -> Bool {
        items.allSatisfy {
            switch $0 {
            case .integer, .number, .boolean: true
            default: false
            }
        }
    }

    private static func inline(_ value: YAMLValue) -> String {
        switch value {
        case .string(let text): scalar(text)
        case .integer(let number): String(number)
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? "\(Int(number)).0" : "\(number)"
        case .boolean(let flag): flag ? "true" : "false"
        case .list(let items): "[" + items.map(inline).joined(separator: ", ") + "]"
        case .mapping(let pairs): "{" + pairs.map { scalar($0.0) + ": " + inline($0.1) }.joined(separator: ", ") + "}"
        }
    }

    /// The text plain when YAML would read it back as the same string, double-quoted otherwise.
    static func scalar(_ text: String) -> String {
        isPlainSafe(text) ? text : quoted(text)
    }

    private static let reserved: Set<String> = ["", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
                                                 "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
                                                 "y", "Y", "n", "N", ".inf", ".nan", "-.inf"]

    private static func isPlainSafe(_ text: String) -> Bool {
        if let ascii = isPlainSafeASCII(text.utf8) { return ascii }
        guard !reserved.contains(text), let first = text.first, let last = text.last else { return false }
        if first == " " || last == " " || "-?:,[]{}#&*!|>'\"%@`".contains(first) { return false }
        if text.contains(": ") || text.contains(" #") || last == ":" { return false }
        if first.isNumber || first == "." || first == "+" {
            // Anything number-like (13, 1.10, 1e3, 0x1F, 12:30) would not come back as a string; a unit letter
            // (2Gi, 250ms) makes it text.
            let lower = text.lowercased()
            let hasUnitLetter = text.contains { $0.isLetter && $0 != "e" && $0 != "E" }
            if !hasUnitLetter || text.contains(":") || lower.hasPrefix("0x") || lower.hasPrefix("0o") || lower.hasPrefix("0b") {
                return false
            }
        }
        return text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && $0 != "\u{FEFF}" }
    }

    /// `isPlainSafe` for ASCII text in one pass over its bytes, giving the same answer as the general rules below;
    /// nil for any other text. Serialising specs (revision digests, recorded specs) runs this for every scalar.
    private static func isPlainSafeASCII(_ bytes: String.UTF8View) -> Bool? {
        guard let first = bytes.first, let last = bytes.last else { return false }
        let space = UInt8(ascii: " "), colon = UInt8(ascii: ":"), hash = UInt8(ascii: "#")
        var previous: UInt8 = 0
        var hasColon = false
        var hasUnitLetter = false
        for byte in bytes {
            if byte >= 0x80 { return nil }
            if byte < 0x20 || byte == 0x7F { return false }
            if (previous == colon && byte == space) || (previous == space && byte == hash) { return false }
            if byte == colon { hasColon = true }
            let lowered = byte | 0x20
            if lowered >= UInt8(ascii: "a") && lowered <= UInt8(ascii: "z") && lowered != UInt8(ascii: "e") { hasUnitLetter = true }
            previous = byte
        }
        if first == space || last == space || last == colon || plainIndicators.contains(first) { return false }
        if bytes.count <= 5, reserved.contains(String(decoding: bytes, as: UTF8.self)) { return false }
        let isDigit = first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")
        if isDigit || first == UInt8(ascii: ".") || first == UInt8(ascii: "+") {
            guard hasUnitLetter, !hasColon else { return false }
            let prefix = Array(bytes.prefix(2)).map { $0 | 0x20 }
            if prefix.count == 2, prefix[0] == UInt8(ascii: "0"), [UInt8(ascii: "x"), UInt8(ascii: "o"), UInt8(ascii: "b")].contains(prefix[1]) {
                return false
            }
        }
        return true
    }

    private static let plainIndicators: Set<UInt8> = Set("-?:,[]{}#&*!|>'\"%@`".utf8)

    static func quoted(_ text: String) -> String {
        QuotedString.yaml(text)
    }
}
