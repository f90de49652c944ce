/// The text form of a plan, for a terminal:
///
/// ```
/// Plan from main to pr-42
/// ml-prod/fraud-detector: new version 12 → 13 (canary 10% → 25% → 50% → 100%, every 2m, …)
/// 1 new version, 3 unchanged
/// ```
///
/// An invalid plan lists each problem under the model (or file) it concerns, indented.
enum PlanText {
    static func render(_ plan: Plan, fromLabel: String, toLabel: String) -> String {
        var lines: [String]
        if plan.isValid {
            lines = ["Plan from \(fromLabel) to \(toLabel)"]
            lines += plan.changes.map { "\($0.key): \(PlanWording.sentence($0.change))" }
            lines += plan.diagnostics.map(\.description)
            lines.append(PlanWording.summary(plan))
        } else {
            lines = ["Plan from \(fromLabel) to \(toLabel): invalid, nothing would be applied"]
            for group in plan.problemGroups {
                lines.append("\(group.subject):")
                lines += group.diagnostics.map { "  \($0)" }
            }
            lines.append(PlanWording.problemSummary(plan))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
