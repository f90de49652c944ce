/// How a plan is printed: for a terminal, for a pull-request comment, or for programs.
public enum PlanFormat: String, Sendable, CaseIterable {
    /// One line per changed model, then a summary; for an invalid plan, the errors grouped by model.
    case text
    /// GitHub-flavoured Markdown for a pull-request comment: a heading, the summary, a table of changes, and the
    /// problems grouped by model.
    case markdown
    /// One JSON object with the verdict, each change and every diagnostic.
    case json

    /// `fromLabel` and `toLabel` name the two revisions for people, such as a branch and a short commit id.
    public func render(_ plan: Plan, fromLabel: String, toLabel: String) -> String {
        switch self {
        case .text: PlanText.render(plan, fromLabel: fromLabel, toLabel: toLabel)
        case .markdown: PlanMarkdown.render(plan, fromLabel: fromLabel, toLabel: toLabel)
        case .json: PlanJSON.render(plan, fromLabel: fromLabel, toLabel: toLabel)
        }
    }
}
