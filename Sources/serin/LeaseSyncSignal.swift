import Foundation
import Logging
import SerinKube
import Synchronization

/// Passes a webhook that reached a standby replica on to the leader. Behind one Service, a Git provider's webhook
/// lands on any replica; a standby does not reconcile, so without this the push would wait for the leader's next
/// poll. The standby writes a fresh value into an annotation of the leader-election Lease; the leader reads the
/// Lease at every renewal (every 2 s) and syncs when the value changed since it last looked.
final class LeaseSyncSignal: Sendable {
    static let annotation = "serin.dev/sync-requested"

    private let lastSeen = Mutex<String?>(nil)

    /// For the elector's `onLeaderRead`: calls `sync` when the annotation holds a value not seen before. The first
    /// value a new leader reads counts as new: one extra sync, never a missed one.
    func leaderRead(_ annotations: [String: String], sync: () -> Void) {
        guard let value = annotations[Self.annotation] else { return }
        let isNew = lastSeen.withLock { seen in
            defer { seen = value }
            return seen != value
        }
        if isNew { sync() }
    }

    /// On a standby: asks the leader for a sync through the Lease.
    func request(through elector: LeaderElector, logger: Logger) async {
        let value = "\(Date().timeIntervalSince1970)-\(UUID().uuidString.prefix(8))"
        do {
            try await elector.signal(annotation: Self.annotation, value: value)
            logger.info("standby passed the webhook on to the leader through the lease")
        } catch {
            logger.warning("could not pass the webhook on to the leader; it syncs at its next poll", metadata: ["error": "\(error)"])
        }
    }
}
