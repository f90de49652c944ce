/// How `serin history` prints a model's rollout history.
public enum HistoryFormat: String, Sendable, CaseIterable {
    /// One line per transition, columns aligned:
    /// `2026-11-29T02:20:52Z  Progressing  25%  v13  desired 1a2b3c4  successRate=0.995 latency=310ms(fail)`: each
    /// gate's last value, marked when it did not pass, so a check that held or rolled back the canary shows which.
    case text
    /// `text` with each transition's reason on an indented line below it, as the ledger commit states it: why a
    /// check held the canary, or what rolled it back, without reading the commits.
    case wide
    /// A JSON array of transitions.
    case json

    /// Entries are printed oldest first, ordered by time; entries with the same time keep the order given.
    /// No entries print as nothing in text and as `[]` in JSON. With `last`, only the newest `last` are printed (still
    /// oldest first), and text says first how many earlier ones were left out.
    public func render(_ entries: [HistoryEntry], last: Int? = nil) -> String {
        let ordered = entries.enumerated()
            .sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
        let shown = last.map { Array(ordered.suffix(max(0, $0))) } ?? ordered
        let omitted = ordered.count - shown.count
        let note = omitted == 0 ? ""
            : "… \(omitted) earlier transition\(omitted == 1 ? "" : "s") (all of them: without --last)\n"
        switch self {
        case .text: return note + renderText(shown, reasons: false)
        case .wide: return note + renderText(shown, reasons: true)
        case .json: return renderJSON(shown)
        }
    }

    private func renderText(_ entries: [HistoryEntry], reasons: Bool) -> String {
        let rows = entries.map { entry in
            [
                entry.time.description,
                entry.phase.rawValue,
                "\(entry.weight)%",
                entry.version.map(LedgerCommitMessage.displayVersion) ?? "-",
                "desired \(entry.desiredCommit.prefix(7))",
                entry.gates.map(Self.cell).joined(separator: " "),
            ]
        }
        let lines = AlignedColumns(rows: rows, rightAligned: [2]).lines
        guard reasons else { return lines.map { $0 + "\n" }.joined() }
        return zip(lines, entries).map { line, entry in
            let reason = entry.message.split(separator: "\n", omittingEmptySubsequences: true).first.map { "    \($0)\n" } ?? ""
            return line + "\n" + reason
        }.joined()
    }

    /// `successRate=0.995`, `latency=310ms(fail)`, `drift=inconclusive` (no value).
    private static func cell(_ gate: GateResult) -> String {
        guard let value = gate.valueText else { return "\(gate.name)=\(gate.verdict.rawValue)" }
        return gate.verdict == .pass ? "\(gate.name)=\(value)" : "\(gate.name)=\(value)(\(gate.verdict.rawValue))"
    }

    private func renderJSON(_ entries: [HistoryEntry]) -> String {
        let objects = entries.map { entry in
            JSON.object([
                ("time", JSON.string(entry.time.description)),
                ("phase", JSON.string(entry.phase.rawValue)),
                ("weight", String(entry.weight)),
                ("version", entry.version.map(JSON.string) ?? "null"),
                ("desiredCommit", JSON.string(entry.desiredCommit)),
                ("commit", JSON.string(entry.commit)),
                ("message", JSON.string(entry.message)),
                ("gates", JSON.array(entry.gates.map(\.json))),
            ])
        }
        return JSON.array(objects) + "\n"
    }
}

extension GateResult {
    /// `{name, verdict, value, threshold, …}`; value is null when there was no data.
    var json: String {
        JSON.object([
            ("name", JSON.string(name)),
            ("verdict", JSON.string(verdict.rawValue)),
            ("value", value.flatMap { $0.isFinite ? NumberText.of($0) : nil } ?? "null"),
            ("unit", unit.map(JSON.string) ?? "null"),
            ("statistic", statistic.map(JSON.string) ?? "null"),
            ("threshold", JSON.string(threshold)),
            ("query", query.map(JSON.string) ?? "null"),
            ("message", message.map(JSON.string) ?? "null"),
            ("consecutiveFailures", String(consecutiveFailures)),
        ])
    }
}
