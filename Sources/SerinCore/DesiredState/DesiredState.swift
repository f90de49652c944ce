/// Every ModelDeployment a repository asks for, each with the place it was written.
///
/// Decoded from all manifest files at once, because some rules span files: two documents may not name the same
/// namespace/name. A desired state with errors is never applied; `DesiredStateDecoding.diagnostics` says why.
public struct DesiredState: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var deployment: ModelDeployment
        public var file: String
        public var mark: SourceMark
    }

    /// Keyed by namespace/name.
    public var entries: [DeploymentKey: Entry]

    public init(entries: [DeploymentKey: Entry] = [:]) { self.entries = entries }

    /// The deployments in namespace/name order.
    public var deployments: [ModelDeployment] {
        entries.keys.sorted().compactMap { entries[$0]?.deployment }
    }

    public static func decode(_ files: [SourceFile], limits: YAMLLimits = .standard) -> DesiredStateDecoding {
        assemble(files.map { decodeFile($0, limits: limits) })
    }

    /// Decodes one file on its own. Files are independent until `assemble`, so a reader that knows which files
    /// changed between two commits re-decodes only those and reuses the rest.
    public static func decodeFile(_ file: SourceFile, limits: YAMLLimits = .standard) -> DecodedFile {
        if file.size > limits.maxFileBytes {
            return DecodedFile(path: file.path, entries: [], diagnostics: [Diagnostic(
                file: file.path, mark: SourceMark(line: 1, column: 1),
                message: ByteCount.oversize(file.size, limit: limits.maxFileBytes),
                hint: "split it into several files")])
        }
        let stream = YAMLReader.read(file.contents, limits: limits)
        var entries: [Entry] = []
        var diagnostics: [Diagnostic] = []
        var modelKeys: [DeploymentKey?] = []
        var undecoded: [UndecodedClaim] = []
        for document in stream.documents {
            guard let root = document.root, !root.isNull else { continue }
            let claim = DocumentDecoder.claim(of: root)
            if case .model(let key) = claim { modelKeys.append(key) }
            var decoder = DocumentDecoder(file: file.path)
            if let deployment = decoder.decode(root) {
                entries.append(Entry(deployment: deployment, file: file.path, mark: root.mark))
            } else if case .model(let key?) = claim {
                undecoded.append(UndecodedClaim(key: key, mark: root.mark))
            }
            diagnostics += decoder.diagnostics
        }
        if let error = stream.error {
            diagnostics.append(Diagnostic(file: file.path, mark: error.mark, message: error.message, hint: error.hint))
        }
        return DecodedFile(path: file.path, entries: entries, diagnostics: diagnostics, modelKeys: modelKeys,
                           undecodedClaims: undecoded)
    }

    /// Joins decoded files into one desired state, applying the rules that span files.
    public static func assemble(_ files: [DecodedFile]) -> DesiredStateDecoding {
        DesiredStateAssembly(files).decoding
    }
}

/// One file's share of a desired state: the deployments it defines and the problems found in it.
public struct DecodedFile: Sendable, Hashable {
    public var path: String
    public var entries: [DesiredState.Entry]
    public var diagnostics: [Diagnostic]
    /// One element per document that is, or tries to be, a ModelDeployment, in file order: the namespace/name it
    /// names, read leniently so that even an invalid document's problems can be attributed to its model; nil when
    /// the name could not be read. Documents of other kinds are not counted.
    public var modelKeys: [DeploymentKey?] = []
    /// The documents that name a namespace/name (read leniently) but did not decode, in file order. They define no
    /// deployment, yet still take part in the duplicate check, so that a repository's every error, a second
    /// definition of the same model included, is reported in one run.
    public var undecodedClaims: [UndecodedClaim] = []

    public init(path: String, entries: [DesiredState.Entry], diagnostics: [Diagnostic], modelKeys: [DeploymentKey?] = [],
                undecodedClaims: [UndecodedClaim] = []) {
        self.path = path
        self.entries = entries
        self.diagnostics = diagnostics
        self.modelKeys = modelKeys
        self.undecodedClaims = undecodedClaims
    }
}

/// A document that sets out to define the ModelDeployment `key`, starting at `mark`, but has errors.
public struct UndecodedClaim: Sendable, Hashable {
    public var key: DeploymentKey
    public var mark: SourceMark

    public init(key: DeploymentKey, mark: SourceMark) {
        self.key = key
        self.mark = mark
    }
}

/// The outcome of decoding a repository: the deployments that decoded, and every problem found.
public struct DesiredStateDecoding: Sendable, Hashable {
    public var state: DesiredState
    /// Sorted by file and position.
    public var diagnostics: [Diagnostic]
    /// Each file's `DecodedFile.modelKeys`, by path: which model a file's problems concern.
    public var modelKeysByFile: [String: [DeploymentKey?]] = [:]

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    /// A repository is valid when nothing in it is an error; warnings do not block.
    public var isValid: Bool { errors.isEmpty }
}
