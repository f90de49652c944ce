import SerinCore

extension LedgerRecord {
    /// The ledger record of a rollout transition: the model's status file, and a commit message whose subject,
    /// body and trailers say what happened and why. `previous` is the status recorded before, which the subject
    /// compares with (`LedgerCommitMessage.subject`).
    public init(status: RolloutStatus, after previous: RolloutStatus? = nil) {
        self.init(path: RolloutStatus.path(for: status.key), content: Array(status.yaml.utf8),
                  message: LedgerCommitMessage.render(status, after: previous), time: status.updatedAt.secondsSinceEpoch)
    }
}
