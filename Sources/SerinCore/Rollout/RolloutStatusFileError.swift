/// Why a status file could not be read: every problem found in it, each located by file, line and column.
public struct RolloutStatusFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Never empty; sorted by position.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// One `file:line:column: error: …` line per problem.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
