/// How a new version replaces the current one, and what evidence it needs at each step.
public struct RolloutSpec: Sendable, Hashable {
    public var strategy: RolloutStrategy
    /// Canary traffic percentages, strictly increasing, ending at 100. Only the canary strategy has steps.
    public var steps: [Int]
    /// How long each step lasts; every gate must pass over a whole interval before traffic moves up.
    public var interval: SpecDuration
    /// Consecutive failed checks of one gate that roll the version back.
    public var maxFailedChecks: Int
    /// Consecutive inconclusive checks of one gate (no data, too few requests, metrics unreachable) that fail the
    /// rollout: missing evidence never promotes, and it does not hang forever either.
    public var maxInconclusiveChecks: Int
    /// Requests a step must see per interval for metric gates to count; fewer is inconclusive, never a pass.
    public var minRequests: Int
    /// How long a version's workload may take to become ready before the rollout fails.
    public var progressDeadline: SpecDuration
    /// Where successRate and latency gates read their numbers.
    public var metrics: MetricsSource
    public var gates: [Gate]
    public var approval: ApprovalSpec?

    public init(strategy: RolloutStrategy = SpecDefaults.strategy, steps: [Int] = SpecDefaults.steps,
                interval: SpecDuration = SpecDefaults.interval, maxFailedChecks: Int = SpecDefaults.maxFailedChecks,
                maxInconclusiveChecks: Int = SpecDefaults.maxInconclusiveChecks,
                minRequests: Int = SpecDefaults.minRequests, progressDeadline: SpecDuration = SpecDefaults.progressDeadline,
                metrics: MetricsSource = SpecDefaults.metricsSource, gates: [Gate] = [], approval: ApprovalSpec? = nil) {
        self.strategy = strategy
        self.steps = steps
        self.interval = interval
        self.maxFailedChecks = maxFailedChecks
        self.maxInconclusiveChecks = maxInconclusiveChecks
        self.minRequests = minRequests
        self.progressDeadline = progressDeadline
        self.metrics = metrics
        self.gates = gates
        self.approval = approval
    }
}

public enum RolloutStrategy: String, Sendable, Hashable, CaseIterable {
    /// Traffic moves up step by step while every gate passes.
    case canary
    /// The new version is verified without live traffic, then takes all of it at once.
    case blueGreen
    /// The old version is stopped before the new one starts, for models that cannot run twice (one GPU).
    case recreate
}

/// Promotion past `before` percent waits for an approval committed to Git.
public struct ApprovalSpec: Sendable, Hashable {
    public var before: Int

    public init(before: Int) { self.before = before }
}
