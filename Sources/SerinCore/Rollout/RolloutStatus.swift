/// Where one model's rollout stands, as the ledger records it: one file per model, `status/<namespace>/<name>.yaml`
/// on the status branch, rewritten and committed at every transition, so `git log` of the file is its history.
public struct RolloutStatus: Sendable, Hashable {
    public static let apiVersion = "serin.dev/v1alpha1"
    public static let kind = "RolloutStatus"

    public var key: DeploymentKey
    public var phase: RolloutPhase
    /// The version serving the traffic the canary does not take; nil before a first version succeeded.
    public var stableVersion: String?
    /// The version being rolled out; nil when none is.
    public var canaryVersion: String?
    /// The stable revision's serving digest (see `ServingRevision`); nil when there is no stable version.
    public var stableDigest: String?
    /// The canary revision's serving digest; nil when there is no canary.
    public var canaryDigest: String?
    /// The digest of the whole ModelDeployment this rollout started from. A Failed rollout is retried only when the
    /// desired document's digest differs.
    public var specDigest: String?
    /// The percentage of traffic the canary takes, 0 to 100. Once a rollout is over it says how it ended: 100 when
    /// the new version took all traffic (Succeeded), 0 when it did not (Failed, Removed).
    public var canaryWeight: Int
    /// The index into the spec's `rollout.steps` of the current step; nil outside a canary's steps.
    public var stepIndex: Int?
    /// When the current evidence window began: the moment traffic last moved, or the last gate check. Gates are
    /// checked once a whole interval has passed since; recorded so that a restart neither skips nor repeats one.
    public var intervalStartedAt: Timestamp?
    public var gates: [GateResult]
    /// The desired-state commit (full hexadecimal object name) this rollout applies.
    public var desiredCommit: String
    /// Why the rollout is in this phase, as a sentence for people: the first line of a ledger commit's body.
    public var reason: String
    public var startedAt: Timestamp
    public var updatedAt: Timestamp

    public init(key: DeploymentKey, phase: RolloutPhase, stableVersion: String? = nil, canaryVersion: String? = nil,
                stableDigest: String? = nil, canaryDigest: String? = nil, specDigest: String? = nil,
                canaryWeight: Int = 0, stepIndex: Int? = nil, intervalStartedAt: Timestamp? = nil, gates: [GateResult] = [],
                desiredCommit: String, reason: String = "", startedAt: Timestamp, updatedAt: Timestamp) {
        self.key = key
        self.phase = phase
        self.stableVersion = stableVersion
        self.canaryVersion = canaryVersion
        self.stableDigest = stableDigest
        self.canaryDigest = canaryDigest
        self.specDigest = specDigest
        self.intervalStartedAt = intervalStartedAt
        self.canaryWeight = canaryWeight
        self.stepIndex = stepIndex
        self.gates = gates
        self.desiredCommit = desiredCommit
        self.reason = reason
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }

    /// The version this rollout is about: the canary while there is one, else the stable version.
    public var rolloutVersion: String? { canaryVersion ?? stableVersion }

    /// The stable revision, when there is one.
    public var stableRevision: ServingRevision? {
        guard let stableVersion, let stableDigest else { return nil }
        return ServingRevision(version: stableVersion, digest: stableDigest)
    }

    /// The canary revision, when there is one.
    public var canaryRevision: ServingRevision? {
        guard let canaryVersion, let canaryDigest else { return nil }
        return ServingRevision(version: canaryVersion, digest: canaryDigest)
    }

    /// Where the ledger keeps a model's status on the status branch: `status/<namespace>/<name>.yaml`.
    public static func path(for key: DeploymentKey) -> String {
        "status/\(key.namespace)/\(key.name).yaml"
    }
}
