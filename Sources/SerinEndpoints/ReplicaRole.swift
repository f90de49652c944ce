/// What this replica does among Serin replicas.
public enum ReplicaRole: Sendable, Hashable, CustomStringConvertible {
    /// The only replica, or the elected leader: it reconciles and writes the ledger.
    case leader
    /// A replica that follows the leader, keeps its desired state current and takes over when elected.
    case standby
    /// The role is not settled yet (the election is still running): not ready.
    case undecided

    public var description: String {
        switch self {
        case .leader: "leader"
        case .standby: "standby"
        case .undecided: "undecided"
        }
    }
}
