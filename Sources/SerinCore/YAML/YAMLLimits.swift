/// Bounds on the YAML Serin will read, so that hostile input (huge files, "billion laughs" alias bombs,
/// pathological nesting) is rejected quickly and in bounded memory instead of exhausting the process.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest file accepted, in bytes. Checked before parsing.
    public var maxFileBytes: Int
    /// Most documents in one file.
    public var maxDocuments: Int
    /// Deepest nesting of sequences and mappings.
    public var maxDepth: Int
    /// Most nodes a file may hold once every alias is expanded: the work any reader of the tree may do.
    public var maxExpandedNodes: Int

    public init(maxFileBytes: Int = 1 << 20, maxDocuments: Int = 1_000, maxDepth: Int = 64, maxExpandedNodes: Int = 250_000) {
        self.maxFileBytes = maxFileBytes
        self.maxDocuments = maxDocuments
        self.maxDepth = maxDepth
        self.maxExpandedNodes = maxExpandedNodes
    }

    public static let standard = YAMLLimits()
}
