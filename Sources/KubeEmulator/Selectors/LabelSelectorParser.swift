/// The lexer and recursive-descent parser of k8s.io/apimachinery/pkg/labels/selector.go, rewritten in Swift: same
/// tokens (`in` and `notin` are keywords only where an operator is expected), same validation, same messages.
struct LabelSelectorParser {
    enum Token: Sendable, Hashable {
        case error, endOfString, closedParenthesis, comma, doesNotExist, doubleEquals, equals, greaterThan
        case identifier, `in`, lessThan, notEquals, notIn, openParenthesis
    }

    /// Where a token is read: in `Values` context the keywords `in` and `notin` are plain identifiers.
    private enum Context { case keyAndOperator, values }

    private var items: [(token: Token, literal: String)] = []
    private var position = 0

    init(_ text: String) {
        var lexer = Lexer(bytes: Array(text.utf8))
        while true {
            let item = lexer.next()
            items.append(item)
            if item.token == .endOfString { break }
        }
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, literal) = lookahead(.values)
            switch token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw SelectorError(message: "unable to parse requirement: " + error.message)
                }
                let (next, nextLiteral) = consume(.values)
                switch next {
                case .endOfString:
                    return requirements
                case .comma:
                    let (following, followingLiteral) = lookahead(.values)
                    if following != .identifier, following != .doesNotExist {
                        throw SelectorError(message: "found '\(followingLiteral)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError(message: "found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            default:
                throw SelectorError(message: "found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(SelectorError) -> LabelSelector.Requirement {
        let (key, inferred) = try parseKeyAndInferOperator()
        if let inferred { return try Self.requirement(key, inferred, []) }
        let op = try parseOperator()
        let values: [String]
        switch op {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try Self.requirement(key, op, values)
    }

    /// The key, and `exists` / `doesNotExist` when the requirement ends there (or starts with `!`).
    private mutating func parseKeyAndInferOperator() throws(SelectorError) -> (String, LabelSelector.Operator?) {
        var op: LabelSelector.Operator?
        var (token, literal) = consume(.values)
        if token == .doesNotExist {
            op = .doesNotExist
            (token, literal) = consume(.values)
        }
        guard token == .identifier else { throw SelectorError(message: "found '\(literal)', expected: identifier") }
        let keyErrors = LabelValidation.qualifiedNameErrors(literal)
        guard keyErrors.isEmpty else {
            throw SelectorError(message: "<nil>: Invalid value: \(Self.goQuoted(literal)): " + keyErrors.joined(separator: "; "))
        }
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma, op != .doesNotExist { op = .exists }
        return (literal, op)
    }

    private mutating func parseOperator() throws(SelectorError) -> LabelSelector.Operator {
        let (token, literal) = consume(.keyAndOperator)
        switch token {
        case .in: return .in
        case .equals: return .equals
        case .doubleEquals: return .doubleEquals
        case .greaterThan: return .greaterThan
        case .lessThan: return .lessThan
        case .notIn: return .notIn
        case .notEquals: return .notEquals
        default: throw SelectorError(message: "found '\(literal)', expected: in, notin, =, ==, !=, gt, lt")
        }
    }

    /// `( values )`; `()` is the set holding the empty string.
    private mutating func parseValues() throws(SelectorError) -> [String] {
        var (token, literal) = consume(.values)
        guard token == .openParenthesis else { throw SelectorError(message: "found '\(literal)' expected: '('") }
        (token, literal) = lookahead(.values)
        switch token {
        case .identifier, .comma:
            let values = try parseIdentifiersList()
            guard consume(.values).token == .closedParenthesis else {
                throw SelectorError(message: "found '\(literal)', expected: ')'")
            }
            return values
        case .closedParenthesis:
            _ = consume(.values)
            return [""]
        default:
            throw SelectorError(message: "found '\(literal)', expected: ',', ')' or identifier")
        }
    }

    /// A comma-separated list whose empty entries stand for the empty string (`(a,,b)`, `(,a)`).
    private mutating func parseIdentifiersList() throws(SelectorError) -> [String] {
        var values = Set<String>()
        while true {
            let (token, literal) = consume(.values)
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead(.values)
                switch next {
                case .comma: continue
                case .closedParenthesis: return Array(values)
                default: throw SelectorError(message: "found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let (next, _) = lookahead(.values)
                if next == .closedParenthesis {
                    values.insert("")
                    return Array(values)
                }
                if next == .comma {
                    _ = consume(.values)
                    values.insert("")
                }
            default:
                throw SelectorError(message: "found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    /// The single value after `=`, `==`, `!=`, `>` or `<`; nothing before `,` or the end is the empty string.
    private mutating func parseExactValue() throws(SelectorError) -> [String] {
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma { return [""] }
        let (token, literal) = consume(.values)
        guard token == .identifier else { throw SelectorError(message: "found '\(literal)', expected: identifier") }
        return [literal]
    }

    /// NewRequirement's checks: integer bounds for `gt`/`lt`, label-value syntax for every value.
    private static func requirement(
        _ key: String, _ op: LabelSelector.Operator, _ values: [String]
    ) throws(SelectorError) -> LabelSelector.Requirement {
        let sorted = Array(Set(values)).sorted()
        var errors: [String] = []
        if op == .greaterThan || op == .lessThan {
            for (index, value) in sorted.enumerated() where Int64(value) == nil {
                errors.append("values[\(index)]: Invalid value: \(goQuoted(value)): for 'Gt', 'Lt' operators, the value must be an integer")
            }
        }
        for (index, value) in sorted.enumerated() {
            let valueErrors = LabelValidation.labelValueErrors(value)
            if !valueErrors.isEmpty {
                errors.append("values[\(index)][\(key)]: Invalid value: \(goQuoted(value)): " + valueErrors.joined(separator: "; "))
            }
        }
        var unique: [String] = []
        for error in errors where !unique.contains(error) { unique.append(error) }
        switch unique.count {
        case 0: return LabelSelector.Requirement(key: key, operator: op, values: sorted)
        case 1: throw SelectorError(message: unique[0])
        default: throw SelectorError(message: "[" + unique.joined(separator: ", ") + "]")
        }
    }

    /// Go's `%q`: double quotes, with `"` and `\` escaped and control characters spelt out.
    static func goQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private func lookahead(_ context: Context) -> (token: Token, literal: String) {
        Self.adjusted(items[min(position, items.count - 1)], context)
    }

    private mutating func consume(_ context: Context) -> (token: Token, literal: String) {
        let item = items[min(position, items.count - 1)]
        position += 1
        return Self.adjusted(item, context)
    }

    private static func adjusted(_ item: (token: Token, literal: String), _ context: Context) -> (token: Token, literal: String) {
        if context == .values, item.token == .in || item.token == .notIn { return (.identifier, item.literal) }
        return item
    }

    /// Splits the selector into tokens: whitespace separates, `= ! ( ) , > <` form operators (longest match of
    /// `!=` and `==`), everything else is an identifier or the keywords `in` and `notin`.
    private struct Lexer {
        let bytes: [UInt8]
        var index = 0

        private static let symbols: [String: Token] = [
            ")": .closedParenthesis, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals,
            ">": .greaterThan, "<": .lessThan, "!=": .notEquals, "(": .openParenthesis,
        ]
        private static let keywords: [String: Token] = ["in": .in, "notin": .notIn]

        /// The byte at the cursor (0 at the end, like the Go lexer), advancing past it.
        private mutating func read() -> UInt8 {
            guard index < bytes.count else { return 0 }
            defer { index += 1 }
            return bytes[index]
        }

        private static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }

        private static func isSymbol(_ byte: UInt8) -> Bool {
            [UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
             UInt8(ascii: ">"), UInt8(ascii: "<")].contains(byte)
        }

        mutating func next() -> (token: Token, literal: String) {
            var byte = read()
            while Self.isWhitespace(byte) { byte = read() }
            if byte == 0 { return (.endOfString, "") }
            index -= 1
            return Self.isSymbol(byte) ? symbol() : identifierOrKeyword()
        }

        private mutating func identifierOrKeyword() -> (token: Token, literal: String) {
            var buffer: [UInt8] = []
            while true {
                let byte = read()
                if byte == 0 { break }
                if Self.isSymbol(byte) || Self.isWhitespace(byte) {
                    index -= 1
                    break
                }
                buffer.append(byte)
            }
            let text = String(decoding: buffer, as: UTF8.self)
            return (Self.keywords[text] ?? .identifier, text)
        }

        private mutating func symbol() -> (token: Token, literal: String) {
            var buffer: [UInt8] = []
            var last: (token: Token, literal: String)?
            while true {
                let byte = read()
                if byte == 0 { break }
                guard Self.isSymbol(byte) else {
                    index -= 1
                    break
                }
                buffer.append(byte)
                let text = String(decoding: buffer, as: UTF8.self)
                if let token = Self.symbols[text] {
                    last = (token, text)
                } else if last != nil {
                    index -= 1
                    break
                }
            }
            return last ?? (.error, "error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'")
        }
    }
}
