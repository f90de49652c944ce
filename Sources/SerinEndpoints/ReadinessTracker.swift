import Synchronization

/// Readiness from the two facts `serin run` learns as it goes: the first successful Git sync, and the replica's
/// role. Ready once a sync succeeded and the replica is the leader or a standby (a standby with the desired state
/// loaded can take over at once); not ready before, with the reason.
///
/// Thread-safe; its `readiness` is what `EndpointsServer` calls for every `/readyz`.
public final class ReadinessTracker: Sendable {
    private struct State {
        var synced = false
        var role: ReplicaRole
        var announcedReady = false
    }

    private let state: Mutex<State>
    private let onFirstReady: @Sendable () -> Void

    /// A tracker that is not ready until `recordSuccessfulSync()`. A single replica starts as `.leader`.
    /// `onFirstReady` runs once, on the thread of the change that first made the replica ready (a service manager
    /// is told then that Serin serves).
    public init(role: ReplicaRole = .leader, onFirstReady: @escaping @Sendable () -> Void = {}) {
        state = Mutex(State(role: role))
        self.onFirstReady = onFirstReady
    }

    /// A Git sync succeeded (applied a commit or found the branch unchanged). Later failures keep the replica
    /// ready: it goes on serving the last good state, and the sync metrics say Git is unreachable.
    public func recordSuccessfulSync() {
        change { $0.synced = true }
    }

    /// The election settled, or changed.
    public func setRole(_ role: ReplicaRole) {
        change { $0.role = role }
    }

    private func change(_ body: (inout State) -> Void) {
        let becameReady = state.withLock { state in
            body(&state)
            guard !state.announcedReady, Self.readiness(of: state) == .ready else { return false }
            state.announcedReady = true
            return true
        }
        if becameReady { onFirstReady() }
    }

    public var role: ReplicaRole { state.withLock { $0.role } }

    public var readiness: Readiness {
        state.withLock { Self.readiness(of: $0) }
    }

    private static func readiness(of state: State) -> Readiness {
        guard state.synced else {
            return .notReady(reason: "no Git sync has succeeded yet; the desired state is not known")
        }
        switch state.role {
        case .leader, .standby: return .ready
        case .undecided: return .notReady(reason: "the leader election has not settled this replica's role yet")
        }
    }
}
