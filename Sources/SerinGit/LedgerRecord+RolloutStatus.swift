import SerinCore

extension LedgerRecord {
    /// The ledger record of a rollout transition: the model's status file, and a commit message whose subject,
    /// body and trailers say what happened and why.
    public init(status: RolloutStatus) {
        self.init(path: RolloutStatus.path(for: status.key), content: Array(status.yaml.utf8),
                  message: LedgerCommitMessage.render(status), time: status.updatedAt.secondsSinceEpoch)
    }
}
