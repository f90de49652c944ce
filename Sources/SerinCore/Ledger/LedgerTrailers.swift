/// What a ledger commit says about its transition, read back from its git trailers: enough to list a model's
/// history from `git log` without reading the status file at every commit.
public struct LedgerTrailers: Sendable, Hashable {
    public static let modelKey = "Serin-Model"
    public static let desiredCommitKey = "Serin-Desired-Commit"
    public static let phaseKey = "Serin-Phase"
    public static let weightKey = "Serin-Weight"
    public static let versionKey = "Serin-Version"

    public var key: DeploymentKey
    public var desiredCommit: String
    public var phase: RolloutPhase
    /// The canary's traffic percentage, 0 to 100.
    public var weight: Int
    /// The version the transition concerns, as the spec writes it (no `v` prefix); nil when there is none yet.
    public var version: String?

    public init(key: DeploymentKey, desiredCommit: String, phase: RolloutPhase, weight: Int, version: String?) {
        self.key = key
        self.desiredCommit = desiredCommit
        self.phase = phase
        self.weight = weight
        self.version = version
    }

    public init(_ status: RolloutStatus) {
        self.init(key: status.key, desiredCommit: status.desiredCommit, phase: status.phase, weight: status.canaryWeight,
                  version: status.rolloutVersion)
    }

    /// The trailer lines, in a fixed order.
    public var lines: [String] {
        var lines = [
            "\(Self.modelKey): \(key)",
            "\(Self.desiredCommitKey): \(desiredCommit)",
            "\(Self.phaseKey): \(phase.rawValue)",
            "\(Self.weightKey): \(weight)",
        ]
        if let version { lines.append("\(Self.versionKey): \(version)") }
        return lines
    }
}
