/// Assembles decoded files into a desired state and keeps it assembled as files change, at a cost proportional to
/// the change: a sync that re-decodes one file out of ten thousand also re-assembles only that file's models.
///
/// The result is the same as assembling every file from scratch: when several documents define one namespace/name,
/// the first in path and document order wins, and each other one gets an error naming the winner's place. Documents
/// that name a model but have errors of their own count too: they define nothing, but a second definition beside
/// them is still an error, reported in the same run as theirs. The deployment kept is the first that decoded.
public struct DesiredStateAssembly: Sendable {
    private struct Claim: Comparable {
        var path: String
        var mark: SourceMark
        /// The document's index in its file's `entries`; nil for a document that did not decode.
        var entry: Int?
        static func < (lhs: Claim, rhs: Claim) -> Bool { (lhs.path, lhs.mark) < (rhs.path, rhs.mark) }
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
        let decoded = file.entries.enumerated().map { ($0.element.deployment.key, Claim(path: file.path, mark: $0.element.mark, entry: $0.offset)) }
        let undecoded = file.undecodedClaims.map { ($0.key, Claim(path: file.path, mark: $0.mark, entry: nil)) }
        for (key, claim) in decoded + undecoded {
            var list = claims[key, default: []]
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
        for key in old.entries.map(\.deployment.key) + old.undecodedClaims.map(\.key) {
            claims[key]?.removeAll { $0.path == path }
            if claims[key]?.isEmpty == true { claims[key] = nil }
            touched.insert(key)
        }
        for key in touched { settle(key) }
    }

    /// Decides the winner of `key` and the errors of its other definitions.
    private mutating func settle(_ key: DeploymentKey) {
        guard let list = claims[key], let first = list.first else {
            entries[key] = nil
            duplicates[key] = nil
            return
        }
        let kept = list.first { $0.entry != nil }
        entries[key] = kept.flatMap { claim in claim.entry.flatMap { files[claim.path]?.entries[$0] } }
        let others = list.dropFirst()
        duplicates[key] = others.isEmpty ? nil : others.map { claim in
            Diagnostic(file: claim.path, mark: claim.mark, path: FieldPath.root / "metadata" / "name",
                       message: "ModelDeployment \(key) is defined twice: here and at \(first.path):\(first.mark.line):\(first.mark.column)",
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
