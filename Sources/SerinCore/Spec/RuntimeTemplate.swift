/// Fills a runtime template (`command`, `args` and `env` values) for one version: `{{model.name}}`,
/// `{{model.uri}}`, `{{model.version}}` and `{{port}}`. The decoder has already refused unknown placeholders and
/// unclosed braces, so rendering cannot fail; anything left unrecognised is kept as written.
public enum RuntimeTemplate {
    public static func render(_ text: String, model: ModelSource, port: Int) -> String {
        var result = ""
        scan(text, literal: { result += $0 }) { name, written in
            switch name {
            case "model.name": result += model.name
            case "model.uri": result += model.uri.text
            case "model.version": result += model.version
            case "port": result += String(port)
            default: result += written
            }
        }
        return result
    }

    /// The placeholders `text` uses, by name (`model.uri`), in order.
    public static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        scan(text, literal: { _ in }) { name, _ in names.append(String(name)) }
        return names
    }

    /// Splits `text` into literal parts and placeholders, passing each placeholder's name (spaces trimmed) and the
    /// text it was written as.
    private static func scan(_ text: String, literal: (Substring) -> Void, placeholder: (Substring, Substring) -> Void) {
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { break }
            literal(rest[..<open.lowerBound])
            placeholder(rest[open.upperBound..<close.lowerBound].trimmingSpaces, rest[open.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
        }
        literal(rest)
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed().reduce(into: Substring()) { $0.append($1) }
    }
}
