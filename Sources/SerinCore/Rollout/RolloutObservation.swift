/// Everything the rollout machine knows about the world when it decides: the time, the live workloads, the latest
/// gate check and the approvals in Git. Gathered by the shell, so the machine itself reads no clock and does no I/O.
public struct RolloutObservation: Sendable, Hashable {
    public var now: Timestamp
    /// The desired-state commit the desired ModelDeployment came from.
    public var desiredCommit: String
    /// The live workloads, by revision digest. A revision without an entry has no workload yet.
    public var workloads: [String: WorkloadObservation]
    /// The results of the gate check `RolloutMachine.gateCheckDue` asked for, in the spec's gate order; nil when no
    /// check was due or none was made.
    public var gateResults: [GateResult]?
    /// The model versions with an approval committed to Git (`approvals/<namespace>/<name>/<version>`).
    public var approvedVersions: Set<String>

    public init(now: Timestamp, desiredCommit: String, workloads: [String: WorkloadObservation] = [:],
                gateResults: [GateResult]? = nil, approvedVersions: Set<String> = []) {
        self.now = now
        self.desiredCommit = desiredCommit
        self.workloads = workloads
        self.gateResults = gateResults
        self.approvedVersions = approvedVersions
    }
}
