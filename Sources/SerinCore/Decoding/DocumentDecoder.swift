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

    /// What a document sets out to define, read leniently, without diagnostics.
    enum Claim: Equatable {
        /// A document of another kind, which `decode` skips with a warning.
        case otherKind
        /// A ModelDeployment, or a document that fails to be one (wrong kind spelling, a list, no kind), with the
        /// namespace/name its metadata names when it can be read.
        case model(DeploymentKey?)
    }

    /// Classifies `root` as `decode` does, so that a file's problems can be attributed to the model it defines.
    static func claim(of root: YAMLNode) -> Claim {
        guard case .mapping(let pairs) = root.content else { return .model(nil) }
        func value(_ key: String, in pairs: [YAMLPair]) -> YAMLNode? { pairs.first { $0.key.scalarText == key }?.value }
        let kindNode = value("kind", in: pairs)
        if let kindNode, !kindNode.isNull, let kind = kindNode.scalarText, kind != ModelDeployment.kind {
            let apiVersion = value("apiVersion", in: pairs)?.scalarText
            let claimsSerin = apiVersion?.hasPrefix("serin.dev/") == true
                || Suggestion.closest(to: kind, in: [ModelDeployment.kind]) != nil
            if !claimsSerin { return .otherKind }
        }
        guard let metadata = value("metadata", in: pairs), case .mapping(let fields) = metadata.content,
              let nameNode = value("name", in: fields), !nameNode.isNull, let name = nameNode.scalarText else { return .model(nil) }
        let namespaceNode = value("namespace", in: fields)
        guard let namespaceNode, !namespaceNode.isNull else {
            return .model(DeploymentKey(namespace: SpecDefaults.namespace, name: name))
        }
        return .model(namespaceNode.scalarText.map { DeploymentKey(namespace: $0, name: name) })
    }

    private mutating func report(_ severity: Diagnostic.Severity = .error, at mark: SourceMark, _ path: FieldPath,
                                 _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(severity, file: file, mark: mark, path: path, message: message, hint: hint))
    }
}
