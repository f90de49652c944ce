/// What the rollout machine decided: the status to hold from now on, what to do to get there, whether the change is
/// a transition the ledger must record, and when to decide again.
public struct RolloutDecision: Sendable, Hashable {
    /// The new status; nil when the model was removed and nothing of it remains.
    public var status: RolloutStatus?
    public var actions: [RolloutAction]
    /// True when the status changed in a way the ledger records as a commit (phase, step, versions or gate evidence).
    public var isTransition: Bool
    /// When the machine wants to decide again even if nothing is observed to change (the end of an interval, a
    /// progress deadline); nil when only an outside change can move it.
    public var nextDecisionAt: Timestamp?
    /// True when the decision judged gate results measured for it: the status's gates are this pass's evidence,
    /// not a previous check's carried along. Results measured for a check the machine then did not make (its
    /// workloads were missing) leave it false.
    public var checkedGates: Bool

    public init(status: RolloutStatus?, actions: [RolloutAction], isTransition: Bool, nextDecisionAt: Timestamp?,
                checkedGates: Bool = false) {
        self.status = status
        self.actions = actions
        self.isTransition = isTransition
        self.nextDecisionAt = nextDecisionAt
        self.checkedGates = checkedGates
    }
}
