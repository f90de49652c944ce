/// What merging would do: the changes between the desired state of one revision (the base branch) and another
/// (the pull request), model by model.
///
/// A target revision with errors is never applied, so its plan is invalid: it carries the target's diagnostics and
/// no changes, because diffing against a partly decoded state would report the broken models as removed. Models
/// that failed to decode in the source revision are absent from it, so they show as created.
public struct Plan: Sendable, Hashable {
    /// Sorted by namespace/name; unchanged models are not listed.
    public var changes: [PlannedChange]
    public var unchangedCount: Int
    /// The target revision's diagnostics, errors and warnings, in file and position order.
    public var diagnostics: [Diagnostic]
    /// The same diagnostics grouped by the model (or file) they concern.
    public var problemGroups: [PlanProblemGroup]

    public init(from source: DesiredStateDecoding, to target: DesiredStateDecoding) {
        diagnostics = target.diagnostics
        problemGroups = PlanProblemGroup.groups(of: target)
        guard target.isValid else {
            changes = []
            unchangedCount = 0
            return
        }
        var changes: [PlannedChange] = []
        var unchanged = 0
        let before = source.state.entries
        let after = target.state.entries
        for key in Set(before.keys).union(after.keys).sorted() {
            switch (before[key]?.deployment, after[key]?.deployment) {
            case (nil, let new?):
                changes.append(PlannedChange(key: key, change: .created(
                    version: new.spec.model.version, replicas: new.spec.replicas, rollout: new.spec.rollout)))
            case (let old?, nil):
                changes.append(PlannedChange(key: key, change: .removed(pruned: old.spec.prune)))
            case (let old?, let new?):
                if let change = DeploymentDiff.change(from: old, to: new) {
                    changes.append(PlannedChange(key: key, change: change))
                } else {
                    unchanged += 1
                }
            case (nil, nil):
                break
            }
        }
        self.changes = changes
        unchangedCount = unchanged
    }

    /// True when the target revision has no errors; warnings do not make a plan invalid.
    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// How many changes are of `kind`.
    public func count(of kind: ModelChange.Kind) -> Int {
        changes.count { $0.change.kind == kind }
    }
}
