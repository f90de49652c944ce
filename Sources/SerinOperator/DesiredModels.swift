import SerinCore
import SerinGit

/// The desired state the workers reconcile against: the last snapshot that validated, plus what each sync changed.
actor DesiredModels {
    private(set) var snapshot: DesiredSnapshot?
    /// The last desired document of each model that has been removed from Git, kept to honour its `prune` setting.
    private var removed: [DeploymentKey: ModelDeployment] = [:]

    /// Takes a new snapshot; returns the keys whose desired document or approvals changed, or that were removed.
    func apply(_ next: DesiredSnapshot) -> Set<DeploymentKey> {
        let previous = snapshot
        snapshot = next
        let before = previous?.decoding.state.entries ?? [:]
        let after = next.decoding.state.entries
        var changed: Set<DeploymentKey> = []
        for (key, entry) in after where before[key]?.deployment != entry.deployment {
            changed.insert(key)
            removed[key] = nil
        }
        for (key, entry) in before where after[key] == nil {
            changed.insert(key)
            removed[key] = entry.deployment
        }
        for key in Set(before.keys).union(after.keys)
        where previous?.approvals.versions(of: key) != next.approvals.versions(of: key) {
            changed.insert(key)
        }
        return changed
    }

    var keys: Set<DeploymentKey> { Set(snapshot.map { Array($0.decoding.state.entries.keys) } ?? []) }

    /// What to reconcile `key` against. A model removed from Git is pruned unless its last document said
    /// `prune: false`; then nothing is done to it (nil).
    func input(for key: DeploymentKey) -> ModelReconciler.Input? {
        guard let snapshot else { return nil }
        let approvals = snapshot.approvals.versions(of: key)
        if let entry = snapshot.decoding.state.entries[key] {
            return ModelReconciler.Input(key: key, desired: entry.deployment, desiredCommit: snapshot.commit.hex, approvedVersions: approvals)
        }
        if let last = removed[key], !last.spec.prune { return nil }
        return ModelReconciler.Input(key: key, desired: nil, desiredCommit: snapshot.commit.hex, approvedVersions: approvals)
    }
}
