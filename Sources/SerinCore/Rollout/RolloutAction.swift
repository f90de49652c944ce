/// Something the shell must make true in the runtime. Actions are idempotent intents, not deltas: performing one
/// twice, or again after a crash, leaves the same state. The shell performs them in order and records the decision's
/// status only after all succeeded, so a crash in between repeats them rather than losing them.
public enum RolloutAction: Sendable, Hashable {
    /// Create the revision's workload from the desired spec if it does not exist, and give it `replicas` replicas.
    case deploy(ServingRevision, replicas: Int)
    /// Set an existing workload's replicas; 0 stops it but keeps it, so a recreate can roll back to it.
    case scale(ServingRevision, replicas: Int)
    /// Split the model's traffic.
    case route(TrafficSplit)
    /// Delete the revision's workload.
    case remove(ServingRevision)
}

/// How a model's traffic is divided between its revisions.
public struct TrafficSplit: Sendable, Hashable {
    /// The revision taking `100 - canaryWeight` percent; nil when there is none (a first deployment not yet ready).
    public var stable: ServingRevision?
    /// The revision taking `canaryWeight` percent; nil when there is no canary.
    public var canary: ServingRevision?
    /// 0 to 100. With no stable revision, whatever the weight, the canary takes all routed traffic.
    public var canaryWeight: Int

    public init(stable: ServingRevision?, canary: ServingRevision? = nil, canaryWeight: Int = 0) {
        self.stable = stable
        self.canary = canary
        self.canaryWeight = canaryWeight
    }

    /// Everything to one revision.
    public static func all(to revision: ServingRevision) -> TrafficSplit { TrafficSplit(stable: revision) }

    /// No traffic anywhere: the model is being removed, or its only revision is being replaced.
    public static let none = TrafficSplit(stable: nil)
}
