/// The JSON form of a plan: `{"valid", "from", "to", "summary", "changes", "diagnostics"}`.
///
/// Each change has `namespace`, `name` and `change` (a `ModelChange.Kind` raw value), then its own fields:
/// created `version`, `replicas`, `rollout`; newVersion `fromVersion`, `toVersion`, `rollout`, `alsoChanged`;
/// scaled `fromReplicas`, `toReplicas`; reconfigured `fields`; removed `pruned`. Diagnostics have the fields of
/// `DiagnosticFormat.json`'s and `model`, the namespace/name they concern or null.
enum PlanJSON {
    static func render(_ plan: Plan, fromLabel: String, toLabel: String) -> String {
        var summary = ModelChange.Kind.allCases.map { ($0.rawValue, String(plan.count(of: $0))) }
        summary.append(("unchanged", String(plan.unchangedCount)))
        return JSON.object([
            ("valid", plan.isValid ? "true" : "false"),
            ("from", JSON.string(fromLabel)),
            ("to", JSON.string(toLabel)),
            ("summary", JSON.object(summary)),
            ("changes", JSON.array(plan.changes.map(change))),
            ("diagnostics", JSON.array(diagnostics(plan))),
        ]) + "\n"
    }

    private static func change(_ planned: PlannedChange) -> String {
        var members = [
            ("namespace", JSON.string(planned.key.namespace)),
            ("name", JSON.string(planned.key.name)),
            ("change", JSON.string(planned.change.kind.rawValue)),
        ]
        switch planned.change {
        case .created(let version, let replicas, let rollout):
            members += [("version", JSON.string(version)), ("replicas", String(replicas)), ("rollout", self.rollout(rollout))]
        case .newVersion(let from, let to, let rollout, let alsoChanged):
            members += [("fromVersion", JSON.string(from)), ("toVersion", JSON.string(to)), ("rollout", self.rollout(rollout)),
                        ("alsoChanged", fields(alsoChanged))]
        case .scaled(let from, let to):
            members += [("fromReplicas", String(from)), ("toReplicas", String(to))]
        case .reconfigured(let changed):
            members.append(("fields", fields(changed)))
        case .removed(let pruned):
            members.append(("pruned", pruned ? "true" : "false"))
        }
        return JSON.object(members)
    }

    private static func rollout(_ rollout: RolloutSpec) -> String {
        JSON.object([
            ("strategy", JSON.string(rollout.strategy.rawValue)),
            ("steps", JSON.array(rollout.steps.map(String.init))),
            ("interval", JSON.string(rollout.interval.description)),
            ("metrics", JSON.string(rollout.metrics.name)),
            ("gates", JSON.array(rollout.gates.map { gate in
                JSON.object([
                    ("name", JSON.string(gate.name)),
                    ("kind", JSON.string(gate.check.kind)),
                    ("threshold", JSON.string(gate.threshold)),
                ])
            })),
            ("approvalBefore", rollout.approval.map { String($0.before) } ?? "null"),
        ])
    }

    private static func fields(_ paths: [FieldPath]) -> String {
        JSON.array(paths.map { JSON.string($0.description) })
    }

    /// In file and position order, each with the model its group concerns.
    private static func diagnostics(_ plan: Plan) -> [String] {
        plan.problemGroups.flatMap { group in group.diagnostics.map { (diagnostic: $0, subject: group.subject) } }
            .sorted { $0.diagnostic < $1.diagnostic }
            .map { diagnostic($0.diagnostic, subject: $0.subject) }
    }

    private static func diagnostic(_ diagnostic: Diagnostic, subject: PlanProblemGroup.Subject) -> String {
        let model: String
        if case .model(let key) = subject { model = JSON.string(key.description) } else { model = "null" }
        return JSON.object(JSON.members(of: diagnostic) + [("model", model)])
    }
}
