/// The phrases every format shares.
enum PlanWording {
    /// `2 to create, 1 new version, 1 removed, 3 unchanged`; `no changes, 3 unchanged` when nothing changes.
    static func summary(_ plan: Plan) -> String {
        var parts: [String] = []
        for kind in ModelChange.Kind.allCases {
            let count = plan.count(of: kind)
            guard count > 0 else { continue }
            switch kind {
            case .created: parts.append("\(count) to create")
            case .newVersion: parts.append(plural(count, "new version"))
            case .scaled: parts.append("\(count) scaled")
            case .reconfigured: parts.append("\(count) reconfigured")
            case .removed: parts.append("\(count) removed")
            }
        }
        if parts.isEmpty { parts.append("no changes") }
        if plan.unchangedCount > 0 { parts.append("\(plan.unchangedCount) unchanged") }
        if !plan.warnings.isEmpty { parts.append(plural(plan.warnings.count, "warning")) }
        return parts.joined(separator: ", ")
    }

    /// `2 errors in 1 file`, and the warnings when there are some.
    static func problemSummary(_ plan: Plan) -> String {
        let files = Set(plan.errors.map(\.file)).count
        var text = "\(plural(plan.errors.count, "error")) in \(plural(files, "file"))"
        if !plan.warnings.isEmpty { text += ", \(plural(plan.warnings.count, "warning"))" }
        return text
    }

    /// The change's name in a table: `new version`.
    static func title(_ change: ModelChange) -> String {
        switch change {
        case .created: "created"
        case .newVersion: "new version"
        case .scaled: "scaled"
        case .reconfigured: "reconfigured"
        case .removed: "removed"
        }
    }

    /// What the change does, to follow its title: `12 → 13; canary 10% → 100%, every 1m, no gates`.
    static func details(_ change: ModelChange) -> String {
        switch change {
        case .created(let version, let replicas, let rollout):
            return "version \(version), \(plural(replicas, "replica")); \(RolloutSummary.describe(rollout))"
        case .newVersion(let from, let to, let rollout, let alsoChanged):
            var text = "\(from) → \(to); \(RolloutSummary.describe(rollout))"
            if !alsoChanged.isEmpty { text += "; also changes \(fieldList(alsoChanged))" }
            return text
        case .scaled(let from, let to):
            return "\(from) → \(to) replicas"
        case .reconfigured(let fields):
            return fieldList(fields)
        case .removed(let pruned):
            return pruned ? "pruned" : "kept (prune: false)"
        }
    }

    /// The sentence a text plan prints after the model's name.
    static func sentence(_ change: ModelChange) -> String {
        switch change {
        case .created(let version, let replicas, let rollout):
            return "created at version \(version) with \(plural(replicas, "replica")) (\(RolloutSummary.describe(rollout)))"
        case .newVersion(let from, let to, let rollout, let alsoChanged):
            var text = "new version \(from) → \(to) (\(RolloutSummary.describe(rollout)))"
            if !alsoChanged.isEmpty { text += ", also changes \(fieldList(alsoChanged))" }
            return text
        case .scaled(let from, let to):
            return "scaled \(from) → \(to) replicas"
        case .reconfigured(let fields):
            return "reconfigured \(fieldList(fields))"
        case .removed(let pruned):
            return pruned ? "removed, pruned" : "removed, kept (prune: false)"
        }
    }

    static func fieldList(_ fields: [FieldPath]) -> String {
        fields.map(\.description).joined(separator: ", ")
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
