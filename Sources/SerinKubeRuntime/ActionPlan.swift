import SerinCore

/// The rollout machine's actions for one model folded into the state they ask for: each revision's replica count,
/// the traffic split, and the revisions to delete. Performing that state once, rather than each action in turn,
/// means a revision resized twice in one decision (deployed at full size, then sized by its traffic share when
/// replicas split the traffic) is written once, or not at all when it already matches.
struct ActionPlan: Sendable {
    struct Workload: Sendable, Hashable {
        var revision: ServingRevision
        var replicas: Int
        /// `deploy` creates a missing workload; `scale` of a missing one to 0 leaves nothing to do.
        var createsMissing: Bool
    }

    private(set) var workloads: [Workload] = []
    private(set) var removals: [ServingRevision] = []
    /// The last split asked for, if any.
    private(set) var split: TrafficSplit?

    init(_ actions: [RolloutAction]) {
        for action in actions {
            switch action {
            case .deploy(let revision, let replicas):
                set(Workload(revision: revision, replicas: replicas, createsMissing: true))
            case .scale(let revision, let replicas):
                set(Workload(revision: revision, replicas: replicas, createsMissing: replicas > 0))
            case .route(let split):
                self.split = split
            case .remove(let revision):
                workloads.removeAll { $0.revision == revision }
                if !removals.contains(revision) { removals.append(revision) }
            }
        }
    }

    private mutating func set(_ workload: Workload) {
        removals.removeAll { $0 == workload.revision }
        if let index = workloads.firstIndex(where: { $0.revision == workload.revision }) {
            workloads[index] = workload
        } else {
            workloads.append(workload)
        }
    }

    /// Sizes the split's revisions by their traffic share, for the replica-ratio provider. The total is what the
    /// actions asked for each (the model's replica count).
    mutating func sizeByTraffic() {
        guard let split else { return }
        switch (split.stable, split.canary) {
        case (let stable?, let canary?) where stable != canary:
            guard let stableIndex = workloads.firstIndex(where: { $0.revision == stable }),
                  let canaryIndex = workloads.firstIndex(where: { $0.revision == canary }) else { return }
            let total = max(workloads[stableIndex].replicas, workloads[canaryIndex].replicas)
            let sized = ReplicaRatio.replicas(total: total, weight: split.canaryWeight)
            workloads[stableIndex].replicas = sized.stable
            workloads[canaryIndex].replicas = sized.canary
        default:
            break
        }
    }

    /// True when the split sends no traffic anywhere: the model is going away.
    var routesNowhere: Bool { split.map { $0.stable == nil && $0.canary == nil } ?? false }
}
