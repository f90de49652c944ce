/// The Markdown form of a plan, meant to be posted as a pull-request comment: a heading naming both revisions, the
/// summary in bold, a table of changes (Model | Change | Details), and the problems grouped by model, each with its
/// `file:line:column`. Every value taken from a manifest or a label is escaped.
enum PlanMarkdown {
    static func render(_ plan: Plan, fromLabel: String, toLabel: String) -> String {
        var blocks = ["### Serin plan: \(MarkdownText.escape(fromLabel)) → \(MarkdownText.escape(toLabel))"]
        if plan.isValid {
            blocks.append("**\(MarkdownText.escape(PlanWording.summary(plan)))**")
            if !plan.changes.isEmpty {
                let rows = plan.changes.map { change in
                    [change.key.description, PlanWording.title(change.change), PlanWording.details(change.change)]
                }
                blocks.append(table(["Model", "Change", "Details"], rows))
            }
        } else {
            let summary = "Invalid: \(PlanWording.problemSummary(plan)). Nothing would be applied until they are fixed."
            blocks.append("**\(MarkdownText.escape(summary))**")
        }
        if !plan.problemGroups.isEmpty {
            blocks.append(plan.isValid ? "#### Warnings" : "#### Errors")
            for group in plan.problemGroups {
                blocks.append("**\(MarkdownText.escape(group.subject.description))**")
                let rows = group.diagnostics.map { diagnostic in
                    let location = "\(diagnostic.file):\(diagnostic.mark.line):\(diagnostic.mark.column)"
                    let problem = diagnostic.severity == .error ? diagnostic.summary : "warning: \(diagnostic.summary)"
                    return [location, problem]
                }
                blocks.append(table(["Location", "Problem"], rows))
            }
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }

    private static func table(_ header: [String], _ rows: [[String]]) -> String {
        var lines = [row(header), row(header.map { _ in "---" })]
        lines += rows.map { row($0.map(MarkdownText.escape)) }
        return lines.joined(separator: "\n")
    }

    private static func row(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |"
    }
}
