/// Where a model's rollout stands. The raw values are what status files, ledger commit trailers and reports say,
/// so they never change once written.
public enum RolloutPhase: String, Sendable, Hashable, CaseIterable {
    /// A new version is known but its workload is not ready yet.
    case Pending
    /// The canary takes a share of traffic while its gates are checked.
    case Progressing
    /// The next step waits for an approval committed to Git.
    case AwaitingApproval
    /// Every gate passed at the last step; the new version becomes the stable one.
    case Promoting
    /// The new version serves all traffic and is the stable version.
    case Succeeded
    /// A gate failed too often or the deadline passed; traffic is moving back to the stable version.
    case RollingBack
    /// The rollout ended without promoting the new version; the stable version serves all traffic.
    case Failed
    /// The model was removed from Git and its workloads deleted; the status file stays as the last entry of its history.
    case Removed

    /// Whether the rollout is over: nothing changes until the desired state does.
    public var isTerminal: Bool { self == .Succeeded || self == .Failed || self == .Removed }
}
