/// How `serin validate` prints what it found: for people, for GitHub pull-request checks, or for programs.
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    /// `file:line:column: error: path: message; hint`, one per line, then a summary.
    case text
    /// GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`, which annotate the pull request.
    case github
    /// One JSON object with the verdict, the deployments and every diagnostic.
    case json

    public func render(_ decoding: DesiredStateDecoding, fileCount: Int) -> String {
        switch self {
        case .text: return renderText(decoding, fileCount: fileCount)
        case .github: return renderGitHub(decoding, fileCount: fileCount)
        case .json: return renderJSON(decoding, fileCount: fileCount)
        }
    }

    private func summary(_ decoding: DesiredStateDecoding, fileCount: Int) -> String {
        let files = plural(fileCount, "file")
        let deployments = plural(decoding.state.entries.count, "ModelDeployment")
        var parts = decoding.isValid ? ["\(deployments) valid in \(files)"] : ["\(plural(decoding.errors.count, "error")) in \(files)"]
        if !decoding.warnings.isEmpty { parts.append(plural(decoding.warnings.count, "warning")) }
        return parts.joined(separator: ", ")
    }

    private func renderText(_ decoding: DesiredStateDecoding, fileCount: Int) -> String {
        (decoding.diagnostics.map(\.description) + [summary(decoding, fileCount: fileCount)]).joined(separator: "\n") + "\n"
    }

    private func renderGitHub(_ decoding: DesiredStateDecoding, fileCount: Int) -> String {
        var lines = decoding.diagnostics.map { diagnostic in
            let properties = "file=\(escapeProperty(diagnostic.file)),line=\(diagnostic.mark.line),col=\(diagnostic.mark.column)"
            return "::\(diagnostic.severity.rawValue) \(properties)::\(escapeData(diagnostic.summary))"
        }
        lines.append(summary(decoding, fileCount: fileCount))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Workflow-command escaping: `%`, CR and LF in data; also `:` and `,` in properties.
    private func escapeData(_ text: String) -> String {
        text.replacing("%", with: "%25").replacing("\r", with: "%0D").replacing("\n", with: "%0A")
    }

    private func escapeProperty(_ text: String) -> String {
        escapeData(text).replacing(":", with: "%3A").replacing(",", with: "%2C")
    }

    private func renderJSON(_ decoding: DesiredStateDecoding, fileCount: Int) -> String {
        let deployments = decoding.state.entries.keys.sorted().compactMap { key -> String? in
            guard let entry = decoding.state.entries[key] else { return nil }
            return JSON.object([
                ("namespace", JSON.string(key.namespace)),
                ("name", JSON.string(key.name)),
                ("version", JSON.string(entry.deployment.spec.model.version)),
                ("file", JSON.string(entry.file)),
                ("line", String(entry.mark.line)),
            ])
        }
        let diagnostics = decoding.diagnostics.map { JSON.object(JSON.members(of: $0)) }
        return JSON.object([
            ("valid", decoding.isValid ? "true" : "false"),
            ("files", String(fileCount)),
            ("deployments", "[" + deployments.joined(separator: ",") + "]"),
            ("diagnostics", "[" + diagnostics.joined(separator: ",") + "]"),
        ]) + "\n"
    }

    private func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}

/// Minimal JSON text building, enough for reports; values are already-encoded JSON texts.
enum JSON {
    /// A diagnostic's fields, as every JSON report prints them.
    static func members(of diagnostic: Diagnostic) -> [(String, String)] {
        [
            ("severity", string(diagnostic.severity.rawValue)),
            ("file", string(diagnostic.file)),
            ("line", String(diagnostic.mark.line)),
            ("column", String(diagnostic.mark.column)),
            ("path", string(diagnostic.path.description)),
            ("message", string(diagnostic.message)),
            ("hint", diagnostic.hint.map(string) ?? "null"),
        ]
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func string(_ text: String) -> String {
        QuotedString.json(text)
    }

    static func array(_ elements: [String]) -> String {
        "[" + elements.joined(separator: ",") + "]"
    }
}
