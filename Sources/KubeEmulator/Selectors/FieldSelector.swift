/// A field selector as kube-apiserver parses `?fieldSelector=` (k8s.io/apimachinery/pkg/fields,
/// `fields.ParseSelector`): comma-separated terms `field=value`, `field==value` or `field!=value`, all of which
/// must hold. In values, `\,`, `\=` and `\\` stand for `,`, `=` and `\`.
///
/// A field the object does not have counts as the empty string (so `spec.nodeName=` selects unscheduled pods).
/// Which fields exist is the server's business: it checks `fieldNames` against what the resource supports and
/// answers 400 for the rest.
struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One term of the selector.
    struct Term: Sendable, Hashable {
        var field: String
        /// `true` for `!=`.
        var isNegated: Bool
        var value: String

        func matches(_ fields: [String: String]) -> Bool {
            ((fields[field] ?? "") == value) != isNegated
        }
    }

    /// The terms, in the order Kubernetes evaluates them (sorted by their text).
    var terms: [Term]

    init(terms: [Term]) { self.terms = terms }

    init(parsing text: String) throws(SelectorError) {
        var parsed: [Term] = []
        for part in Self.splitTerms(text).sorted() where !part.isEmpty {
            guard let (field, op, rawValue) = Self.splitTerm(part) else {
                throw SelectorError(message: "invalid selector: '\(text)'; can't understand '\(part)'")
            }
            parsed.append(Term(field: field, isNegated: op == "!=", value: try Self.unescape(rawValue)))
        }
        terms = parsed
    }

    /// Whether the selector restricts nothing.
    var isEmpty: Bool { terms.isEmpty }

    func matches(_ fields: [String: String]) -> Bool {
        terms.allSatisfy { $0.matches(fields) }
    }

    /// The fields the terms name, each once, in term order.
    var fieldNames: [String] {
        var names: [String] = []
        for term in terms where !names.contains(term.field) { names.append(term.field) }
        return names
    }

    /// The canonical form (`metadata.name=a,status.phase!=Running`), values escaped again.
    var description: String {
        terms.map { term in
            term.field + (term.isNegated ? "!=" : "=") + Self.escape(term.value)
        }.joined(separator: ",")
    }

    /// A value as a selector spells it: backslash, `,` and `=` preceded by a backslash.
    static func escape(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            if scalar == "\\" || scalar == "," || scalar == "=" { result.unicodeScalars.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    /// Splits on commas that are not escaped by a backslash.
    private static func splitTerms(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        terms.append(current)
        return terms
    }

    /// The leftmost operator splits the term; at one position `!=` is tried before `==` before `=`.
    private static func splitTerm(_ term: String) -> (String, String, String)? {
        for index in term.indices {
            let remaining = term[index...]
            for op in ["!=", "==", "="] where remaining.hasPrefix(op) {
                return (String(term[..<index]), op, String(remaining.dropFirst(op.count)))
            }
        }
        return nil
    }

    private static func unescape(_ value: String) throws(SelectorError) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "," || $0 == "=" }) else { return value }
        var result = ""
        var escaped = false
        for scalar in value.unicodeScalars {
            if escaped {
                guard scalar == "\\" || scalar == "," || scalar == "=" else {
                    throw SelectorError(message: "invalid field selector: invalid escape sequence: \\\(scalar)")
                }
                result.unicodeScalars.append(scalar)
                escaped = false
                continue
            }
            switch scalar {
            case "\\": escaped = true
            case ",", "=":
                // Go formats the offending rune with %v, which prints its code point.
                throw SelectorError(message: "invalid field selector: unescaped character in value: \(scalar.value)")
            default: result.unicodeScalars.append(scalar)
            }
        }
        if escaped { throw SelectorError(message: "invalid field selector: invalid escape sequence: \\") }
        return result
    }
}
