/// One rollout transition in a model's history: a ledger commit, read back.
public struct HistoryEntry: Sendable, Hashable {
    public var time: Timestamp
    public var phase: RolloutPhase
    /// The canary's traffic percentage, 0 to 100.
    public var weight: Int
    /// The version the transition concerns; nil when there is none yet.
    public var version: String?
    public var desiredCommit: String
    /// The ledger commit that recorded the transition.
    public var commit: String
    /// Empty when only the commit message was read.
    public var gates: [GateResult]
    /// Why the transition happened.
    public var message: String

    public init(time: Timestamp, phase: RolloutPhase, weight: Int, version: String?, desiredCommit: String, commit: String,
                gates: [GateResult] = [], message: String = "") {
        self.time = time
        self.phase = phase
        self.weight = weight
        self.version = version
        self.desiredCommit = desiredCommit
        self.commit = commit
        self.gates = gates
        self.message = message
    }

    /// The transition a status file records, committed as `commit`: at the status's `updatedAt`, with its gates
    /// and reason.
    public init(commit: String, status: RolloutStatus) {
        self.init(time: status.updatedAt, phase: status.phase, weight: status.canaryWeight, version: status.rolloutVersion,
                  desiredCommit: status.desiredCommit, commit: commit, gates: status.gates, message: status.reason)
    }

    /// The transition a commit's trailers record, when its status file is not read: no gates.
    public init(commit: String, time: Timestamp, trailers: LedgerTrailers, message: String = "") {
        self.init(time: time, phase: trailers.phase, weight: trailers.weight, version: trailers.version,
                  desiredCommit: trailers.desiredCommit, commit: commit, message: message)
    }
}
