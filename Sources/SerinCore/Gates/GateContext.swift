/// What a gate check is about: which model, which versions, how much traffic the canary takes and over which
/// window evidence is gathered. Gate adapters (Prometheus, webhooks) read nothing else, so a check can be repeated
/// from the ledger's record alone.
public struct GateContext: Sendable, Hashable {
    public var key: DeploymentKey
    /// The served model's name (`spec.model.name`), which model servers put in their metric labels.
    public var modelName: String
    /// The version under test.
    public var canaryVersion: String
    /// The version serving the rest of the traffic; nil on a first deployment.
    public var stableVersion: String?
    /// The canary's share of traffic during the window, 0 to 100.
    public var canaryWeight: Int
    /// The index into `rollout.steps` of the step being checked; nil outside a canary's steps.
    public var stepIndex: Int?
    /// The window the evidence covers: the rollout's interval, ending now.
    public var interval: SpecDuration

    public init(key: DeploymentKey, modelName: String, canaryVersion: String, stableVersion: String?, canaryWeight: Int,
                stepIndex: Int?, interval: SpecDuration) {
        self.key = key
        self.modelName = modelName
        self.canaryVersion = canaryVersion
        self.stableVersion = stableVersion
        self.canaryWeight = canaryWeight
        self.stepIndex = stepIndex
        self.interval = interval
    }
}
