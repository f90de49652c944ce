/// One problem found in a desired-state repository, located precisely enough to fix without searching:
/// file, line, column, the field path, what was found and what was expected, and where it helps a hint.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case error, warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .error && rhs == .warning }
    }

    public var severity: Severity
    public var file: String
    public var mark: SourceMark
    /// Empty when the problem is with the file or document as a whole.
    public var path: FieldPath
    public var message: String
    public var hint: String?

    public init(_ severity: Severity = .error, file: String, mark: SourceMark, path: FieldPath = .root, message: String,
                hint: String? = nil) {
        self.severity = severity
        self.file = file
        self.mark = mark
        self.path = path
        self.message = message
        self.hint = hint
    }

    /// The message with the field path and hint, without the location: `spec.replicas: found -1, expected …; hint`.
    public var summary: String {
        var text = path.components.isEmpty ? message : "\(path): \(message)"
        if let hint { text += "; \(hint)" }
        return text
    }

    /// One line, in the `file:line:column: severity: …` form compilers use, so editors and terminals can jump to it.
    public var description: String {
        "\(file):\(mark.line):\(mark.column): \(severity.rawValue): \(summary)"
    }
}

extension Diagnostic: Comparable {
    /// Orders by file, then position, so a report reads top to bottom.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.file, lhs.mark.line, lhs.mark.column, lhs.summary) < (rhs.file, rhs.mark.line, rhs.mark.column, rhs.summary)
    }
}
