/// One deployable revision of a model: what a workload runs. Two specs with the same model and runtime fields are the
/// same revision, so a change elsewhere (a label, the rollout's steps, the replica count) never starts a canary,
/// while a new image or environment variable does even when the model's version stays the same.
public struct ServingRevision: Sendable, Hashable, CustomStringConvertible {
    /// The model's version (`spec.model.version`), as people name the revision.
    public var version: String
    /// A digest of every serving field (`spec.model` and `spec.runtime`), sixteen hexadecimal digits.
    public var digest: String

    public init(version: String, digest: String) {
        self.version = version
        self.digest = digest
    }

    public init(_ deployment: ModelDeployment) {
        version = deployment.spec.model.version
        let serving = YAMLValue.mapping([
            ("model", deployment.spec.model.yamlValue),
            ("runtime", deployment.spec.runtime.yamlValue),
        ])
        digest = Fingerprint.of(YAMLWriter.write(serving))
    }

    /// The first eight digest digits: enough to tell revisions of one model apart in names and messages.
    public var shortDigest: String { String(digest.prefix(8)) }

    /// `3@1a2b3c4d`.
    public var description: String { "\(version)@\(shortDigest)" }
}

extension ModelDeployment {
    /// A digest of the whole document: any edit, even a label, changes it. A failed rollout is retried only when
    /// this changes, so Serin never loops on a bad model and a deliberate commit is all a retry takes.
    public var specDigest: String { Fingerprint.of(YAMLWriter.write(yamlValue)) }

    public var revision: ServingRevision { ServingRevision(self) }
}
