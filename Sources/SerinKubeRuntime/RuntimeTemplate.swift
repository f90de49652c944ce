import SerinCore

/// Fills the placeholders of `spec.runtime.command`, `args` and `env` values for one revision. The decoder has
/// already refused unknown placeholders, so every `{{ name }}` here is one of `RuntimeSpec.templatePlaceholders`;
/// text that is not a known placeholder is left as written rather than guessed at.
struct RuntimeTemplate {
    let values: [String: String]

    init(model: ModelSource, port: Int) {
        values = ["model.name": model.name, "model.uri": model.uri.text, "model.version": model.version,
                  "port": String(port)]
    }

    func render(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { break }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            output += rest[..<open.lowerBound]
            if let value = values[name] {
                output += value
            } else {
                output += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
