/// Reads YAML nodes into typed values for one file, collecting every problem instead of stopping at the first, so
/// one `serin validate` run reports all of a repository's errors.
///
/// Each read either returns a value or records a diagnostic and returns nil; callers carry on with the fields they
/// could read. Plain scalars are read by the type the field needs (a string field takes `13` and `1.10` as written,
/// which sidesteps YAML 1.1's surprises), while a quoted scalar is always a string.
struct SpecReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    // MARK: Reporting

    mutating func report(_ severity: Diagnostic.Severity = .error, at mark: SourceMark, _ path: FieldPath,
                         _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(severity, file: file, mark: mark, path: path, message: message, hint: hint))
    }

    /// Records "found X, expected Y" at the node.
    mutating func mismatch(_ node: YAMLNode, _ path: FieldPath, expected: String, hint: String? = nil) {
        report(at: node.mark, path, "found \(Self.describe(node)), expected \(expected)", hint: hint)
    }

    /// How a node is named after "found": the value as written for plain scalars, quoted for strings,
    /// the kind of collection otherwise.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .sequence(let items): return items.isEmpty ? "an empty list" : "a list"
        case .mapping: return "a mapping"
        case .scalar(let text, let style):
            if node.isNull { return text.isEmpty ? "an empty value" : text }
            let shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
            if style.isQuoted || node.tag == YAMLTag.string { return "the string \(QuotedString.yaml(shown))" }
            if Self.isNumberLike(text) || text == "true" || text == "false" { return shown }
            return QuotedString.yaml(shown)
        }
    }

    static func isNumberLike(_ text: String) -> Bool {
        guard let first = text.first, first.isNumber || first == "-" || first == "+" || first == "." else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) } && Double(text) != nil
    }

    // MARK: Mappings

    /// Reads a mapping whose keys must all be among `fields`. Unknown and duplicate keys are reported; the known
    /// ones are returned even then, so their values are still checked.
    mutating func object(_ node: YAMLNode, _ path: FieldPath, fields: [String], expected: String) -> ObjectFields? {
        guard case .mapping(let pairs) = node.content else {
            mismatch(node, path, expected: expected)
            return nil
        }
        var values: [String: YAMLPair] = [:]
        var misspelt: Set<String> = []
        for pair in pairs {
            guard let key = scalarKey(pair.key, path) else { continue }
            if let first = values[key] {
                report(at: pair.key.mark, path / key, "duplicate field \"\(key)\", first set at line \(first.key.mark.line)",
                       hint: "YAML keeps only one value: remove one of them")
            } else if !fields.contains(key) {
                let hint: String?
                if key == "<<" {
                    hint = "YAML merge keys are not supported: write the fields out"
                } else if let suggestion = Suggestion.closest(to: key, in: fields) {
                    misspelt.insert(suggestion)
                    hint = "did you mean \"\(suggestion)\"?"
                } else {
                    hint = nil
                }
                report(at: pair.key.mark, path / key,
                       "unknown field \"\(key)\", expected one of \(fields.joined(separator: ", "))", hint: hint)
            } else {
                values[key] = pair
            }
        }
        return ObjectFields(node: node, path: path, pairs: values, misspelt: misspelt)
    }

    /// Reads a mapping of string keys to string values, such as labels. `keyProblem` and `valueProblem` return the
    /// expectation an invalid key or value fails.
    mutating func stringMap(_ node: YAMLNode, _ path: FieldPath, expected: String,
                            keyProblem: (String) -> String? = { _ in nil },
                            valueProblem: (String) -> String? = { _ in nil }) -> [String: String]? {
        if node.isNull { return [:] }
        guard case .mapping(let pairs) = node.content else {
            mismatch(node, path, expected: expected)
            return nil
        }
        var result: [String: String] = [:]
        var lines: [String: Int] = [:]
        var valid = true
        for pair in pairs {
            guard let key = scalarKey(pair.key, path) else { valid = false; continue }
            if let line = lines[key] {
                report(at: pair.key.mark, path[key: key], "duplicate key \"\(key)\", first set at line \(line)",
                       hint: "YAML keeps only one value: remove one of them")
                valid = false
                continue
            }
            lines[key] = pair.key.mark.line
            if let problem = keyProblem(key) {
                mismatch(pair.key, path[key: key], expected: problem)
                valid = false
            }
            guard let value = text(pair.value, path[key: key], expected: "a string", problem: valueProblem) else {
                valid = false
                continue
            }
            result[key] = value
        }
        return valid ? result : nil
    }

    private mutating func scalarKey(_ key: YAMLNode, _ path: FieldPath) -> String? {
        guard let text = key.scalarText, !key.isNull else {
            mismatch(key, path, expected: "a field name")
            return nil
        }
        return text
    }

    // MARK: Required and optional fields

    /// The field's value, reporting it missing (at the enclosing mapping) or empty. `expected` says what belongs there.
    /// A field already reported as misspelt is not reported missing as well.
    mutating func required(_ object: ObjectFields, _ field: String, expected: String) -> YAMLNode? {
        guard let pair = object.pairs[field] else {
            if object.misspelt.contains(field) { return nil }
            report(at: object.node.mark, object.path, "missing required field \"\(field)\", expected \(expected)")
            return nil
        }
        if pair.value.isNull {
            mismatch(pair.value, object.path / field, expected: expected)
            return nil
        }
        return pair.value
    }

    // MARK: Scalars

    /// A scalar read as text. `problem` returns the expectation a present but invalid value fails, and may add a hint.
    mutating func text(_ node: YAMLNode, _ path: FieldPath, expected: String,
                       problem: (String) -> String? = { _ in nil }, hint: (String) -> String? = { _ in nil }) -> String? {
        guard let value = node.scalarText, !node.isNull else {
            mismatch(node, path, expected: expected)
            return nil
        }
        if let failed = problem(value) {
            mismatch(node, path, expected: failed, hint: hint(value))
            return nil
        }
        return value
    }

    /// One of a fixed set of values, suggesting the closest on a miss.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: FieldPath, of type: T.Type) -> T?
    where T.RawValue == String {
        let options = T.allCases.map(\.rawValue)
        guard let value = text(node, path, expected: "one of \(options.joined(separator: ", "))") else { return nil }
        if let choice = T(rawValue: value) { return choice }
        mismatch(node, path, expected: "one of \(options.joined(separator: ", "))",
                 hint: Suggestion.closest(to: value, in: options).map { "did you mean \"\($0)\"?" })
        return nil
    }

    mutating func integer(_ node: YAMLNode, _ path: FieldPath, in range: ClosedRange<Int>, expected: String,
                          hint: (String) -> String? = { _ in nil }) -> Int? {
        guard let text = node.scalarText, !node.isNull, !node.isExplicitString,
              text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }), let value = Int(text),
              range.contains(value) else {
            mismatch(node, path, expected: expected, hint: Self.quotedNumberHint(node) ?? node.scalarText.flatMap(hint))
            return nil
        }
        return value
    }

    mutating func number(_ node: YAMLNode, _ path: FieldPath, in range: ClosedRange<Double>, expected: String,
                         hint: (Double) -> String? = { _ in nil }) -> Double? {
        guard let text = node.scalarText, !node.isNull, !node.isExplicitString, Self.isNumberLike(text),
              let value = Double(text) else {
            mismatch(node, path, expected: expected, hint: Self.quotedNumberHint(node))
            return nil
        }
        guard range.contains(value) else {
            mismatch(node, path, expected: expected, hint: hint(value))
            return nil
        }
        return value
    }

    /// `"8080"` where a number belongs: the quotes make it a string.
    private static func quotedNumberHint(_ node: YAMLNode) -> String? {
        guard node.isExplicitString, let text = node.scalarText, isNumberLike(text) else { return nil }
        return "remove the quotes: a quoted value is a string"
    }

    mutating func boolean(_ node: YAMLNode, _ path: FieldPath) -> Bool? {
        if let text = node.scalarText, !node.isExplicitString {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        let yaml11 = ["yes", "no", "on", "off", "y", "n"].contains(node.scalarText?.lowercased() ?? "")
        mismatch(node, path, expected: "true or false",
                 hint: yaml11 ? "YAML 1.1 spellings such as yes and on are not booleans here" : nil)
        return nil
    }

    mutating func duration(_ node: YAMLNode, _ path: FieldPath, atLeast minimum: SpecDuration,
                           atMost maximum: SpecDuration? = nil) -> SpecDuration? {
        let expected = "a duration such as 30s, 5m or 1h30m"
        guard let text = text(node, path, expected: expected) else { return nil }
        guard let value = SpecDuration(parsing: text) else {
            let bare = text.allSatisfy { $0.isASCII && $0.isNumber }
            mismatch(node, path, expected: expected, hint: bare ? "add a unit: \(text)s for seconds" : nil)
            return nil
        }
        if value < minimum {
            mismatch(node, path, expected: "a duration of at least \(minimum)")
            return nil
        }
        if let maximum, value > maximum {
            mismatch(node, path, expected: "a duration of at most \(maximum)")
            return nil
        }
        return value
    }

    /// A resource quantity greater than zero.
    mutating func quantity(_ node: YAMLNode, _ path: FieldPath, hint: (Quantity) -> String? = { _ in nil }) -> Quantity? {
        let expected = "a quantity such as 500m, 2, 512Mi or 4Gi"
        guard let text = text(node, path, expected: expected) else { return nil }
        guard let value = Quantity(parsing: text) else {
            mismatch(node, path, expected: expected)
            return nil
        }
        guard value.value > 0 else {
            mismatch(node, path, expected: "a quantity greater than zero")
            return nil
        }
        if let hint = hint(value) {
            report(.warning, at: node.mark, path, "\(value) is a fraction of one unit", hint: hint)
        }
        return value
    }

    // MARK: Lists

    mutating func list(_ node: YAMLNode, _ path: FieldPath, expected: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            mismatch(node, path, expected: expected)
            return nil
        }
        return items
    }

    /// A list of strings; nil when any item is not one.
    mutating func stringList(_ node: YAMLNode, _ path: FieldPath, expected: String) -> [String]? {
        guard let items = list(node, path, expected: expected) else { return nil }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let value = text(item, path[index], expected: "a string") else { continue }
            result.append(value)
        }
        return result.count == items.count ? result : nil
    }
}

/// The known fields of a mapping, by name.
struct ObjectFields {
    let node: YAMLNode
    let path: FieldPath
    let pairs: [String: YAMLPair]
    /// Known fields that an unknown key was reported as a likely misspelling of.
    let misspelt: Set<String>

    /// The value of an optional field; nil when absent or null.
    subscript(_ field: String) -> YAMLNode? {
        guard let value = pairs[field]?.value, !value.isNull else { return nil }
        return value
    }

    func path(_ field: String) -> FieldPath { path / field }

    /// Where the field's key was written, for errors about the field as a whole.
    func keyMark(_ field: String) -> SourceMark { pairs[field]?.key.mark ?? node.mark }
}
