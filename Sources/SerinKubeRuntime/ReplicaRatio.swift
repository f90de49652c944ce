/// Traffic split by replica counts, for clusters with no router: the stable Service selects every revision's pods,
/// so each revision's share of requests follows its share of ready pods.
enum ReplicaRatio {
    /// The replicas of the stable and the canary revision for `total` replicas at `weight` percent.
    ///
    /// The canary gets `ceil(total × weight / 100)` and the stable version the rest, keeping at least one while the
    /// weight is under 100, so it never stops serving before a promotion. The canary also keeps at least one: at 0%
    /// (a canary waiting to become ready, a blue-green check) it must run to prove it is ready, which with a shared
    /// Service means it takes that one replica's share. That is the cost of having no router.
    static func replicas(total: Int, weight: Int) -> (stable: Int, canary: Int) {
        guard total > 0 else { return (0, 0) }
        let weight = min(100, max(0, weight))
        let canary = (total * weight + 99) / 100
        let stable = weight < 100 ? max(1, total - canary) : 0
        return (stable, min(total, max(1, canary)))
    }
}
