/// The text of the log line that announces a rollout transition: its reason, then in brackets the gate evidence
/// behind it. The ledger commit keeps every gate in full; the line gives only what is news to someone reading the
/// terminal from the top:
/// - evidence only from a check made for this transition (a promotion finishing, or a rollback ending, carries the
///   results of the check before it, which that check's line gave);
/// - no gate whose result the reason already states (the failed gate of a rollback);
/// - no passing readiness check, which says nothing;
/// - each note on the evidence once: gates that read the same counts (`successRate` and `latency` both say
///   `18 requests over the last 10s`) are listed together with the note after the last of them, and a note the
///   reason already gives is left out.
public enum TransitionLogLine {
    /// `gatesChecked`: whether the decision judged gate results measured for it (`RolloutDecision.checkedGates`).
    public static func text(of status: RolloutStatus, gatesChecked: Bool) -> String {
        guard gatesChecked else { return status.reason }
        let evidence = status.gates.filter { gate in
            if gate.name == RolloutMachine.readinessGate && gate.verdict == .pass { return false }
            return !status.reason.contains(LedgerCommitMessage.gateEvidence(gate))
        }
        guard !evidence.isEmpty else { return status.reason }
        let parts = evidence.map { gate in
            var part = LineWithNote(gate)
            if let note = part.note, status.reason.contains(note) { part.note = nil }
            return part
        }
        var items: [String] = []
        for (index, part) in parts.enumerated() {
            items.append(part.line)
            let next = index + 1 < parts.count ? parts[index + 1].note : nil
            if let note = part.note, note != next { items.append(note) }
        }
        return "\(status.reason) [\(items.joined(separator: "; "))]"
    }

    /// A gate's line split into its result (`latency p95: 2.75ms <= 250ms pass`) and the note after it
    /// (`18 requests over the last 10s`), if any.
    private struct LineWithNote {
        var line: String
        var note: String?

        init(_ gate: GateResult) {
            var bare = gate
            bare.message = nil
            let line = LedgerCommitMessage.gateLine(bare)
            let full = LedgerCommitMessage.gateLine(gate)
            let separator = "; "
            if full.count > line.count + separator.count, full.hasPrefix(line + separator) {
                self.line = line
                self.note = String(full.dropFirst(line.count + separator.count))
            } else {
                self.line = full
                self.note = nil
            }
        }
    }
}
