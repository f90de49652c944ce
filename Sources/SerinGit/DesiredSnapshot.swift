import SerinCore

/// The desired state read from one commit.
public struct DesiredSnapshot: Sendable {
    public var commit: ObjectID
    public var decoding: DesiredStateDecoding
    /// Files decoded by the sync that produced this snapshot: only the changed ones after the first sync.
    public var parsedFiles: Int
    /// Manifest files under the deployments root at this commit.
    public var fileCount: Int
    /// The approvals committed under `approvals/` at this commit.
    public var approvals: Approvals = Approvals()
}

/// What one sync did.
public enum SyncOutcome: Sendable {
    /// The branch has not moved since the last sync.
    case unchanged(ObjectID)
    /// A new commit whose deployments are valid; it is now the desired state. `forcePushed` is true when the branch
    /// was rewritten rather than moved forward.
    case applied(DesiredSnapshot, forcePushed: Bool)
    /// A new commit whose deployments do not validate: nothing is applied, the last good state stays in force.
    case invalid(commit: ObjectID, diagnostics: [Diagnostic], lastGood: DesiredSnapshot?)
    /// The sync itself failed (network, credentials, a broken mirror); the last good state stays in force.
    case failed(GitError, lastGood: DesiredSnapshot?)

    /// The desired state in force after this sync, if any.
    public var desired: DesiredSnapshot? {
        switch self {
        case .unchanged: nil
        case .applied(let snapshot, _): snapshot
        case .invalid(_, _, let lastGood), .failed(_, let lastGood): lastGood
        }
    }
}
