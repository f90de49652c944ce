extension RolloutStatus {
    /// Reads a status file written by `yaml`.
    ///
    /// Strict about what it needs: the apiVersion and kind, the model's key, the phase, weight, desired commit and
    /// times, each of the right type. Lenient about anything else: fields it does not know are ignored, so a status
    /// file written by a newer Serin of the same apiVersion (which may add fields) still reads. `reason` and `gates`
    /// default to empty when absent. Every problem is reported, with its line and column.
    public static func decode(_ bytes: [UInt8], file: String, limits: YAMLLimits = .standard)
        -> Result<RolloutStatus, RolloutStatusFileError> {
        let stream = YAMLReader.read(bytes, limits: limits)
        var decoder = RolloutStatusDecoder(file: file)
        let documents = stream.documents.compactMap { document in document.root.flatMap { $0.isNull ? nil : $0 } }
        var status: RolloutStatus?
        if let error = stream.error {
            decoder.reader.report(at: error.mark, .root, error.message, hint: error.hint)
        } else if let root = documents.first {
            status = decoder.decode(root)
            if documents.count > 1 {
                decoder.reader.report(at: documents[1].mark, .root, "found a second document, expected one RolloutStatus per file")
            }
        } else {
            decoder.reader.report(at: SourceMark(line: 1, column: 1), .root, "found an empty file, expected a \(kind)")
        }
        let errors = decoder.reader.diagnostics.filter { $0.severity == .error }
        guard let status, errors.isEmpty else { return .failure(RolloutStatusFileError(diagnostics: errors.sorted())) }
        return .success(status)
    }
}

/// Decodes the `RolloutStatus` document; see `RolloutStatus.decode`.
struct RolloutStatusDecoder {
    var reader: SpecReader

    init(file: String) { reader = SpecReader(file: file) }

    private static let commitRule = "a commit's object name of 4 to 64 lowercase hexadecimal digits"
    private static let timeRule = "an RFC 3339 time such as 2026-11-29T02:20:52Z"

    mutating func decode(_ root: YAMLNode) -> RolloutStatus? {
        guard let top = reader.knownFields(root, .root, expected: "a \(RolloutStatus.kind) with apiVersion, kind, metadata and status")
        else { return nil }
        for (field, value) in [("apiVersion", RolloutStatus.apiVersion), ("kind", RolloutStatus.kind)] {
            if let node = reader.required(top, field, expected: value) {
                _ = reader.text(node, top.path(field), expected: value, problem: { $0 == value ? nil : value })
            }
        }
        let key = reader.required(top, "metadata", expected: "a mapping with name and namespace").flatMap { decodeKey($0) }
        let status = reader.required(top, "status", expected: "a mapping with phase, canaryWeight and desiredCommit").flatMap {
            decodeStatus($0, key: key)
        }
        return status
    }

    private mutating func decodeKey(_ node: YAMLNode) -> DeploymentKey? {
        guard let fields = reader.knownFields(node, FieldPath.root / "metadata", expected: "a mapping with name and namespace")
        else { return nil }
        let name = reader.required(fields, "name", expected: Names.dnsLabelRule).flatMap {
            reader.text($0, fields.path("name"), expected: Names.dnsLabelRule, problem: Names.dnsLabelProblem)
        }
        let namespace = reader.required(fields, "namespace", expected: Names.dnsLabelRule).flatMap {
            reader.text($0, fields.path("namespace"), expected: Names.dnsLabelRule, problem: Names.dnsLabelProblem)
        }
        guard let name, let namespace else { return nil }
        return DeploymentKey(namespace: namespace, name: name)
    }

    private mutating func decodeStatus(_ node: YAMLNode, key: DeploymentKey?) -> RolloutStatus? {
        let path = FieldPath.root / "status"
        guard let fields = reader.knownFields(node, path, expected: "a mapping with phase, canaryWeight and desiredCommit")
        else { return nil }
        let phase = reader.required(fields, "phase", expected: "a rollout phase").flatMap {
            reader.choice($0, fields.path("phase"), of: RolloutPhase.self)
        }
        let stableVersion = fields["stableVersion"].map { version($0, fields.path("stableVersion")) }
        let canaryVersion = fields["canaryVersion"].map { version($0, fields.path("canaryVersion")) }
        let stableDigest = fields["stableDigest"].map { digest($0, fields.path("stableDigest")) }
        let canaryDigest = fields["canaryDigest"].map { digest($0, fields.path("canaryDigest")) }
        let specDigest = fields["specDigest"].map { digest($0, fields.path("specDigest")) }
        let intervalStartedAt = fields["intervalStartedAt"].map { time($0, fields.path("intervalStartedAt")) }
        let canaryWeight = reader.required(fields, "canaryWeight", expected: "a whole percentage from 0 to 100").flatMap {
            reader.integer($0, fields.path("canaryWeight"), in: 0...100, expected: "a whole percentage from 0 to 100")
        }
        let stepIndex = fields["stepIndex"].map {
            reader.integer($0, fields.path("stepIndex"), in: 0...Int(Int32.max), expected: "a step index, 0 or more")
        }
        let desiredCommit = reader.required(fields, "desiredCommit", expected: Self.commitRule).flatMap {
            reader.text($0, fields.path("desiredCommit"), expected: Self.commitRule, problem: Self.commitProblem)
        }
        let reason = fields["reason"].map { reader.text($0, fields.path("reason"), expected: "a sentence") } ?? ""
        let startedAt = reader.required(fields, "startedAt", expected: Self.timeRule).flatMap { time($0, fields.path("startedAt")) }
        let updatedAt = reader.required(fields, "updatedAt", expected: Self.timeRule).flatMap { time($0, fields.path("updatedAt")) }
        let gates = fields["gates"].map { decodeGates($0, fields.path("gates")) } ?? []
        guard let key, let phase, stableVersion != .some(nil), canaryVersion != .some(nil), let canaryWeight,
              stableDigest != .some(nil), canaryDigest != .some(nil), specDigest != .some(nil), intervalStartedAt != .some(nil),
              stepIndex != .some(nil), let desiredCommit, let reason, let startedAt, let updatedAt, let gates else { return nil }
        return RolloutStatus(key: key, phase: phase, stableVersion: stableVersion ?? nil, canaryVersion: canaryVersion ?? nil,
                             stableDigest: stableDigest ?? nil, canaryDigest: canaryDigest ?? nil, specDigest: specDigest ?? nil,
                             canaryWeight: canaryWeight, stepIndex: stepIndex ?? nil, intervalStartedAt: intervalStartedAt ?? nil,
                             gates: gates, desiredCommit: desiredCommit, reason: reason, startedAt: startedAt, updatedAt: updatedAt)
    }

    private mutating func decodeGates(_ node: YAMLNode, _ path: FieldPath) -> [GateResult]? {
        if node.isNull { return [] }
        guard let items = reader.list(node, path, expected: "a list of gate results") else { return nil }
        let gates = items.enumerated().compactMap { index, item in decodeGate(item, path[index]) }
        return gates.count == items.count ? gates : nil
    }

    private mutating func decodeGate(_ node: YAMLNode, _ path: FieldPath) -> GateResult? {
        guard let fields = reader.knownFields(node, path, expected: "a mapping with name, verdict and threshold") else { return nil }
        let name = reader.required(fields, "name", expected: "the gate's name").flatMap {
            reader.text($0, fields.path("name"), expected: "the gate's name")
        }
        let statistic = fields["statistic"].map { reader.text($0, fields.path("statistic"), expected: "a statistic such as p99") }
        let verdict = reader.required(fields, "verdict", expected: "a verdict").flatMap {
            reader.choice($0, fields.path("verdict"), of: GateResult.Verdict.self)
        }
        let finite = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        let value = fields["value"].map { reader.number($0, fields.path("value"), in: finite, expected: "a number") }
        let unit = fields["unit"].map { reader.text($0, fields.path("unit"), expected: "a unit such as ms") }
        let threshold = reader.required(fields, "threshold", expected: "the bound, such as \">= 0.99\"").flatMap {
            reader.text($0, fields.path("threshold"), expected: "the bound, such as \">= 0.99\"")
        }
        let query = fields["query"].map { reader.text($0, fields.path("query"), expected: "a PromQL query") }
        let message = fields["message"].map { reader.text($0, fields.path("message"), expected: "a sentence") }
        let consecutiveFailures = fields["consecutiveFailures"].map {
            reader.integer($0, fields.path("consecutiveFailures"), in: 0...Int(Int32.max), expected: "a count, 0 or more")
        } ?? 0
        let consecutiveInconclusive = fields["consecutiveInconclusive"].map {
            reader.integer($0, fields.path("consecutiveInconclusive"), in: 0...Int(Int32.max), expected: "a count, 0 or more")
        } ?? 0
        guard let name, statistic != .some(nil), let verdict, value != .some(nil), unit != .some(nil), let threshold,
              query != .some(nil), message != .some(nil), let consecutiveFailures, let consecutiveInconclusive else { return nil }
        return GateResult(name: name, statistic: statistic ?? nil, verdict: verdict, value: value ?? nil, unit: unit ?? nil,
                          threshold: threshold, query: query ?? nil, message: message ?? nil,
                          consecutiveFailures: consecutiveFailures, consecutiveInconclusive: consecutiveInconclusive)
    }

    private mutating func digest(_ node: YAMLNode, _ path: FieldPath) -> String? {
        reader.text(node, path, expected: Self.digestRule, problem: { text in
            text.count == 16 && text.allSatisfy({ $0.isASCII && $0.isHexDigit && !$0.isUppercase }) ? nil : Self.digestRule
        })
    }

    private static let digestRule = "a digest of 16 lowercase hexadecimal digits"

    private mutating func version(_ node: YAMLNode, _ path: FieldPath) -> String? {
        reader.text(node, path, expected: "a version", problem: Names.versionProblem)
    }

    private mutating func time(_ node: YAMLNode, _ path: FieldPath) -> Timestamp? {
        guard let text = reader.text(node, path, expected: Self.timeRule) else { return nil }
        guard let time = Timestamp(rfc3339: text) else {
            reader.mismatch(node, path, expected: Self.timeRule)
            return nil
        }
        return time
    }

    private static func commitProblem(_ text: String) -> String? {
        (4...64).contains(text.count) && text.allSatisfy({ $0.isASCII && $0.isHexDigit && !$0.isUppercase }) ? nil : commitRule
    }
}

extension SpecReader {
    /// Reads a mapping whose unknown keys are ignored rather than reported, for documents Serin writes itself and
    /// may extend in later versions. Duplicate keys are still errors: YAML would keep only one of them.
    mutating func knownFields(_ node: YAMLNode, _ path: FieldPath, expected: String) -> ObjectFields? {
        guard case .mapping(let pairs) = node.content else {
            mismatch(node, path, expected: expected)
            return nil
        }
        var keys: [String] = []
        for pair in pairs {
            if let key = pair.key.scalarText, !pair.key.isNull, !keys.contains(key) { keys.append(key) }
        }
        return object(node, path, fields: keys, expected: expected)
    }
}
