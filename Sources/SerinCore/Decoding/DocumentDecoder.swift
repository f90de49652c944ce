/// Decides what a document is before decoding it: a ModelDeployment is decoded, any other Kubernetes kind is
/// reported as skipped (never silently dropped), and anything else is an error.
struct DocumentDecoder {
    private let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    mutating func decode(_ root: YAMLNode) -> ModelDeployment? {
        guard case .mapping(let pairs) = root.content else {
            var reader = SpecReader(file: file)
            reader.mismatch(root, .root, expected: "a ModelDeployment: a mapping with apiVersion, kind, metadata and spec")
            diagnostics += reader.diagnostics
            return nil
        }
        let kindNode = pairs.first { $0.key.scalarText == "kind" }?.value
        let kind = kindNode?.scalarText
        let apiVersion = pairs.first { $0.key.scalarText == "apiVersion" }?.value.scalarText
        let claimsSerin = apiVersion?.hasPrefix("serin.dev/") == true
            || kind.map { Suggestion.closest(to: $0, in: [ModelDeployment.kind]) != nil } == true

        if kind == ModelDeployment.kind {
            var decoder = ModelDeploymentDecoder(file: file)
            let deployment = decoder.decode(root)
            diagnostics += decoder.reader.diagnostics
            return deployment
        }
        guard let kindNode, !kindNode.isNull else {
            report(at: root.mark, .root, "missing required field \"kind\", expected \(ModelDeployment.kind)")
            return nil
        }
        guard let kind else {
            var reader = SpecReader(file: file)
            reader.mismatch(kindNode, FieldPath.root / "kind", expected: ModelDeployment.kind)
            diagnostics += reader.diagnostics
            return nil
        }
        if claimsSerin {
            report(at: kindNode.mark, FieldPath.root / "kind", "found \"\(kind)\", expected \(ModelDeployment.kind)",
                   hint: "did you mean \"\(ModelDeployment.kind)\"?")
        } else {
            report(.warning, at: kindNode.mark, FieldPath.root / "kind",
                   "skipped: kind \(kind)\(apiVersion.map { " (\($0))" } ?? "") is not a Serin kind",
                   hint: "Serin applies only \(ModelDeployment.kind) (\(ModelDeployment.apiVersion)); move other manifests out of the deployments root")
        }
        return nil
    }

    private mutating func report(_ severity: Diagnostic.Severity = .error, at mark: SourceMark, _ path: FieldPath,
                                 _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(severity, file: file, mark: mark, path: path, message: message, hint: hint))
    }
}
