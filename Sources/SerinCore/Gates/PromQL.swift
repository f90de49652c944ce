/// PromQL text building: string literals, durations and numbers as Prometheus reads them.
enum PromQL {
    /// A double-quoted string literal. Names and versions are already restricted to safe characters by the spec;
    /// escaping anyway keeps a future looser rule from turning a label value into query syntax.
    static func quoted(_ value: String) -> String {
        "\"" + escaped(value) + "\""
    }

    /// The inside of a double-quoted literal: backslashes and quotes escaped, control characters as `\n` and the like.
    static func escaped(_ value: String) -> String {
        var text = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    /// A range duration: `1m`, `1m30s`, `250ms` (compound durations need Prometheus 2.26 or later).
    static func duration(_ duration: SpecDuration) -> String {
        duration.description
    }

    /// A number literal: `0.99`, `1`.
    static func number(_ value: Double) -> String {
        NumberText.of(value)
    }
}
