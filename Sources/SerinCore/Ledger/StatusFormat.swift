/// How `serin status` prints where each model's rollout stands, as the tip of the ledger records it: the view
/// `git log` does not give at a glance when a repository holds many models.
public enum StatusFormat: String, Sendable, CaseIterable {
    /// A header, then one aligned line per model, ordered by namespace and name:
    /// `ml/iris  Progressing  v1  v2  20%  2026-11-29T08:43:31.605Z  Gates passed for 10s at 10%; v2 now takes 20%.`
    /// The reason comes last, its first line only, so the columns before it stay aligned.
    case text
    /// A JSON array of the models' statuses, ordered the same way.
    case json

    public func render(_ statuses: [RolloutStatus]) -> String {
        let ordered = statuses.sorted { $0.key < $1.key }
        switch self {
        case .text: return Self.renderText(ordered)
        case .json: return Self.renderJSON(ordered)
        }
    }

    private static let header = ["MODEL", "PHASE", "STABLE", "CANARY", "WEIGHT", "UPDATED", "REASON"]

    private static func renderText(_ statuses: [RolloutStatus]) -> String {
        guard !statuses.isEmpty else { return "" }
        let version = { (version: String?) in version.map(LedgerCommitMessage.displayVersion) ?? "-" }
        let rows = [header] + statuses.map { status in
            [
                status.key.description,
                status.phase.rawValue,
                version(status.stableVersion),
                version(status.canaryVersion),
                "\(status.canaryWeight)%",
                status.updatedAt.description,
                status.reason.split(whereSeparator: \.isNewline).first.map(String.init) ?? "",
            ]
        }
        return AlignedColumns(rows: rows).lines.map { $0 + "\n" }.joined()
    }

    private static func renderJSON(_ statuses: [RolloutStatus]) -> String {
        let objects = statuses.map { status in
            JSON.object([
                ("model", JSON.string(status.key.description)),
                ("phase", JSON.string(status.phase.rawValue)),
                ("stableVersion", status.stableVersion.map(JSON.string) ?? "null"),
                ("canaryVersion", status.canaryVersion.map(JSON.string) ?? "null"),
                ("weight", String(status.canaryWeight)),
                ("stepIndex", status.stepIndex.map(String.init) ?? "null"),
                ("desiredCommit", JSON.string(status.desiredCommit)),
                ("reason", JSON.string(status.reason)),
                ("startedAt", JSON.string(status.startedAt.description)),
                ("updatedAt", JSON.string(status.updatedAt.description)),
                ("gates", JSON.array(status.gates.map(\.json))),
            ])
        }
        return JSON.array(objects) + "\n"
    }
}
