/// The text of the log line that announces a rollout transition: its reason, then in brackets the gate evidence
/// behind it. The ledger commit keeps every gate; the line gives only what is news to someone reading the terminal
/// from the top:
/// - evidence only from a check made for this transition (a promotion finishing, or a rollback ending, carries the
///   results of the check before it, which that check's line gave);
/// - no gate whose result the reason already states (the failed gate of a rollback);
/// - no passing readiness check, which says nothing.
public enum TransitionLogLine {
    /// `gatesChecked`: whether the decision judged gate results measured for it (`RolloutDecision.checkedGates`).
    public static func text(of status: RolloutStatus, gatesChecked: Bool) -> String {
        guard gatesChecked else { return status.reason }
        let evidence = status.gates.filter { gate in
            if gate.name == RolloutMachine.readinessGate && gate.verdict == .pass { return false }
            return !status.reason.contains(LedgerCommitMessage.gateEvidence(gate))
        }
        guard !evidence.isEmpty else { return status.reason }
        return "\(status.reason) [\(evidence.map(LedgerCommitMessage.gateLine).joined(separator: "; "))]"
    }
}
