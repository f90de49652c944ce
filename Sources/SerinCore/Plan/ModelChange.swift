/// What merging would do to one model.
public enum ModelChange: Sendable, Hashable {
    /// The model is new: it is deployed at `version`, and later versions roll out as `rollout` says.
    case created(version: String, replicas: Int, rollout: RolloutSpec)
    /// `spec.model.version` changed, which starts a rollout as the target revision's `rollout` says.
    /// `alsoChanged` lists other changed fields outside `spec.model` (whose other fields usually change with the
    /// version), which the rollout carries along.
    case newVersion(from: String, to: String, rollout: RolloutSpec, alsoChanged: [FieldPath])
    /// Only `spec.replicas` changed.
    case scaled(from: Int, to: Int)
    /// Other fields changed, the version did not: the running version is updated in place. In document order.
    case reconfigured(fields: [FieldPath])
    /// The model's document is gone. `pruned` (the source revision's `spec.prune`) says whether the model is then
    /// removed from the cluster or left running, no longer managed.
    case removed(pruned: Bool)

    /// The kinds of change, in the order summaries count them.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case created, newVersion, scaled, reconfigured, removed
    }

    public var kind: Kind {
        switch self {
        case .created: .created
        case .newVersion: .newVersion
        case .scaled: .scaled
        case .reconfigured: .reconfigured
        case .removed: .removed
        }
    }
}

/// One model's change in a plan.
public struct PlannedChange: Sendable, Hashable {
    public var key: DeploymentKey
    public var change: ModelChange

    public init(key: DeploymentKey, change: ModelChange) {
        self.key = key
        self.change = change
    }
}
