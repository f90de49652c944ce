/// One file of a desired-state repository, as read from a work tree or a Git tree.
public struct SourceFile: Sendable, Hashable {
    /// The path shown in diagnostics, relative to where the user ran the command or to the repository root.
    public var path: String
    public var contents: [UInt8]
    /// The file's full size. A reader may stop reading past the limit, leaving `contents` shorter than `size`.
    public var size: Int

    public init(path: String, contents: [UInt8], size: Int? = nil) {
        self.path = path
        self.contents = contents
        self.size = size ?? contents.count
    }

    public init(path: String, text: String) {
        self.init(path: path, contents: Array(text.utf8))
    }

    /// The repository path of a file found at `relative` under the deployments `root` (empty for the top).
    public static func path(_ relative: String, under root: String) -> String {
        root.isEmpty ? relative : root + "/" + relative
    }

    /// Whether the repository convention includes this file: YAML, by extension.
    public static func isManifest(_ path: String) -> Bool {
        path.hasSuffix(".yaml") || path.hasSuffix(".yml")
    }
}
