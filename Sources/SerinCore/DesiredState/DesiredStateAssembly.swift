/// Assembles decoded files into a desired state and keeps it assembled as files change, at a cost proportional to
/// the change: a sync that re-decodes one file out of ten thousand also re-assembles only that file's models.
///
/// The result is the same as assembling every file from scratch: when several documents define one namespace/name,
/// the first in path and document order wins, and each other one gets an error naming the winner's place.
public struct DesiredStateAssembly: Sendable {
    private struct Claim: Comparable {
        var path: String
        var index: Int
        static func < (lhs: Claim, rhs: Claim) -> Bool { (lhs.path, lhs.index) < (rhs.path, rhs.index) }
    }

    private var files: [String: DecodedFile] = [:]
    private var claims: [DeploymentKey: [Claim]] = [:]
    private var entries: [DeploymentKey: DesiredState.Entry] = [:]
    private var duplicates: [DeploymentKey: [Diagnostic]] = [:]
    private var filesWithDiagnostics: Set<String> = []
    private var modelKeysByFile: [String: [DeploymentKey?]] = [:]

    public init() {}

    public init(_ files: [DecodedFile]) {
        for file in files { replace(file) }
    }

    /// The number of files assembled.
    public var fileCount: Int { files.count }

    /// Adds a file, or replaces the file at the same path.
    public mutating func replace(_ file: DecodedFile) {
        remove(path: file.path)
        files[file.path] = file
        modelKeysByFile[file.path] = file.modelKeys
        if !file.diagnostics.isEmpty { filesWithDiagnostics.insert(file.path) }
        var touched: Set<DeploymentKey> = []
        for (index, entry) in file.entries.enumerated() {
            let key = entry.deployment.key
            var list = claims[key, default: []]
            let claim = Claim(path: file.path, index: index)
            list.insert(claim, at: list.firstIndex(where: { claim < $0 }) ?? list.endIndex)
            claims[key] = list
            touched.insert(key)
        }
        for key in touched { settle(key) }
    }

    /// Removes the file at `path`, if any.
    public mutating func remove(path: String) {
        guard let old = files.removeValue(forKey: path) else { return }
        modelKeysByFile[path] = nil
        filesWithDiagnostics.remove(path)
        var touched: Set<DeploymentKey> = []
        for entry in old.entries {
            let key = entry.deployment.key
            claims[key]?.removeAll { $0.path == path }
            if claims[key]?.isEmpty == true { claims[key] = nil }
            touched.insert(key)
        }
        for key in touched { settle(key) }
    }

    /// Decides the winner of `key` and the errors of its other definitions.
    private mutating func settle(_ key: DeploymentKey) {
        guard let list = claims[key], let first = list.first, let winner = files[first.path]?.entries[first.index] else {
            entries[key] = nil
            duplicates[key] = nil
            return
        }
        entries[key] = winner
        let others = list.dropFirst().compactMap { files[$0.path]?.entries[$0.index] }
        duplicates[key] = others.isEmpty ? nil : others.map { entry in
            Diagnostic(file: entry.file, mark: entry.mark, path: FieldPath.root / "metadata" / "name",
                       message: "ModelDeployment \(key) is defined twice: here and at \(winner.file):\(winner.mark.line):\(winner.mark.column)",
                       hint: "each namespace/name may be defined once; rename or remove one")
        }
    }

    /// The desired state as it now stands.
    public var decoding: DesiredStateDecoding {
        let diagnostics = filesWithDiagnostics.flatMap { files[$0]?.diagnostics ?? [] } + duplicates.values.joined()
        return DesiredStateDecoding(state: DesiredState(entries: entries), diagnostics: diagnostics.sorted(),
                                    modelKeysByFile: modelKeysByFile)
    }
}
