/// A JSON Pointer, RFC 6901: `""` names the whole document; otherwise each `/`-prefixed reference token names an
/// object member or an array index, with `~1` standing for `/` and `~0` for `~` (decoded in that order, so `~01`
/// is the literal `~1`).
struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The decoded reference tokens, outermost first; empty for the whole document.
    var tokens: [String]
    /// The pointer as written, for messages.
    var description: String

    init(parsing text: String) throws(PatchError) {
        description = text
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw PatchError(message: "JSON pointer \(Self.quoted(text)) must be empty or start with '/'")
        }
        var decoded: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            decoded.append(try Self.unescape(raw, in: text))
        }
        tokens = decoded
    }

    /// The pointer to the parent container, and the last token; nil for the whole document.
    var parentAndLast: (parent: [String], last: String)? {
        guard let last = tokens.last else { return nil }
        return (Array(tokens.dropLast()), last)
    }

    /// Whether `self` names a location strictly inside `other` (RFC 6902 4.4: a value cannot move into its own child).
    func isProperDescendant(of other: JSONPointer) -> Bool {
        tokens.count > other.tokens.count && Array(tokens.prefix(other.tokens.count)) == other.tokens
    }

    /// An array index as RFC 6901 spells it: `0`, or digits without a leading zero. `-` is handled by callers.
    static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        if token.count > 1, token.hasPrefix("0") { return nil }
        return Int(token)
    }

    static func quoted(_ text: String) -> String { "\"" + text + "\"" }

    private static func unescape(_ raw: Substring, in pointer: String) throws(PatchError) -> String {
        guard raw.contains("~") else { return String(raw) }
        var result = ""
        var iterator = raw.makeIterator()
        while let character = iterator.next() {
            guard character == "~" else {
                result.append(character)
                continue
            }
            switch iterator.next() {
            case "0": result.append("~")
            case "1": result.append("/")
            default: throw PatchError(message: "JSON pointer \(quoted(pointer)) has an invalid escape: '~' must be followed by '0' or '1'")
            }
        }
        return result
    }
}
