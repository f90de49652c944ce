/// How a Git sync ended, as the metrics count it. Mirrors SerinGit's `SyncOutcome` without depending on it.
public enum GitSyncResult: String, Sendable, Hashable, CaseIterable {
    /// A new commit became the desired state.
    case applied
    /// The branch had not moved.
    case unchanged
    /// A new commit whose deployments do not validate; the last good state stays in force.
    case invalid
    /// The fetch failed (network, credentials, a broken mirror).
    case failed

    /// Whether Git was read and the desired state is current: what the last-success timestamp and readiness track.
    public var isSuccess: Bool { self == .applied || self == .unchanged }
}
