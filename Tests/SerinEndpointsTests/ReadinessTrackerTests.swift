import SerinEndpoints
import Synchronization
import Testing

/// The first moment a replica is ready is announced once: `serin run` tells a service manager then that it serves.
@Suite("ReadinessTracker")
struct ReadinessTrackerTests {
    /// Counts the announcements a tracker makes.
    final class Announcements: Sendable {
        private let count = Mutex(0)
        var made: Int { count.withLock { $0 } }
        func record() { count.withLock { $0 += 1 } }
    }

    @Test func theFirstSuccessfulSyncOfALeaderIsAnnouncedOnce() {
        let announcements = Announcements()
        let tracker = ReadinessTracker(role: .leader, onFirstReady: announcements.record)
        #expect(announcements.made == 0)
        tracker.recordSuccessfulSync()
        #expect(announcements.made == 1)
        tracker.recordSuccessfulSync()
        tracker.setRole(.standby)
        tracker.setRole(.leader)
        #expect(announcements.made == 1)
    }

    @Test func aReplicaWhoseRoleIsUndecidedIsAnnouncedOnlyOnceItIsSettled() {
        let announcements = Announcements()
        let tracker = ReadinessTracker(role: .undecided, onFirstReady: announcements.record)
        tracker.recordSuccessfulSync()
        #expect(announcements.made == 0)
        tracker.setRole(.standby)
        #expect(announcements.made == 1)
    }

    @Test func aSettledRoleWithoutASyncIsNotAnnounced() {
        let announcements = Announcements()
        let tracker = ReadinessTracker(role: .undecided, onFirstReady: announcements.record)
        tracker.setRole(.leader)
        #expect(announcements.made == 0)
        #expect(!tracker.readiness.isReady)
    }
}
