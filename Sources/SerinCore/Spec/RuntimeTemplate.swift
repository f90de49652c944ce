/// Fills a runtime template (`command`, `args` and `env` values) for one version: `{{model.name}}`,
/// `{{model.uri}}`, `{{model.version}}` and `{{port}}`. The decoder has already refused unknown placeholders and
/// unclosed braces, so rendering cannot fail; anything left unrecognised is kept as written.
public enum RuntimeTemplate {
    public static func render(_ text: String, model: ModelSource, port: Int) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { break }
            result += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            switch name {
            case "model.name": result += model.name
            case "model.uri": result += model.uri.text
            case "model.version": result += model.version
            case "port": result += String(port)
            default: result += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed().reduce(into: Substring()) { $0.append($1) }
    }
}
