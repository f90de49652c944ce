import SerinCore
import Testing

@Suite("Sync schedule")
struct SyncScheduleTests {
    private let schedule = SyncSchedule()

    @Test func afterASuccessTheNextSyncIsOneIntervalAway() {
        #expect(schedule.delay(consecutiveFailures: 0, draw: 0.5) == .seconds(30))
    }

    @Test func jitterShortensOrLengthensByUpToATenth() {
        #expect(schedule.delay(consecutiveFailures: 0, draw: 0) == .seconds(27))
        #expect(schedule.delay(consecutiveFailures: 0, draw: 0.75) == .milliseconds(31_500))
        #expect(schedule.delay(consecutiveFailures: 0, draw: 0.999_999) == .milliseconds(33_000))
    }

    @Test func jitterIsClampedToATenth() {
        let wild = SyncSchedule(jitter: 0.5)
        #expect(wild.delay(consecutiveFailures: 0, draw: 0) == .seconds(27))
        #expect(SyncSchedule(jitter: -1).delay(consecutiveFailures: 0, draw: 0) == .seconds(30))
        #expect(SyncSchedule(jitter: .nan).delay(consecutiveFailures: 0, draw: 0) == .seconds(30))
    }

    @Test func drawsOutsideTheUnitRangeAreClampedAndNaNMeansNoJitter() {
        #expect(schedule.delay(consecutiveFailures: 0, draw: -3) == .seconds(27))
        #expect(schedule.delay(consecutiveFailures: 0, draw: 7) == .seconds(33))
        #expect(schedule.delay(consecutiveFailures: 0, draw: .nan) == .seconds(30))
    }

    @Test func failuresBackOffFromOneSecondDoubling() {
        #expect((1...9).map { schedule.baseDelay(consecutiveFailures: $0) }
            == [1, 2, 4, 8, 16, 32, 64, 128, 256].map { .seconds($0) })
    }

    @Test func backoffStopsAtFiveMinutes() {
        #expect(schedule.baseDelay(consecutiveFailures: 10) == .seconds(300))
        #expect(schedule.baseDelay(consecutiveFailures: 1_000_000) == .seconds(300))
        #expect(schedule.baseDelay(consecutiveFailures: .max) == .seconds(300))
    }

    @Test func backoffStopsAtTheIntervalWhenThatIsLonger() {
        let slow = SyncSchedule(interval: .seconds(600))
        #expect(slow.maximumBackoff == .seconds(600))
        #expect(slow.baseDelay(consecutiveFailures: 10) == .seconds(512))
        #expect(slow.baseDelay(consecutiveFailures: 11) == .seconds(600))
    }

    @Test func backoffIsJitteredToo() {
        #expect(schedule.delay(consecutiveFailures: 1, draw: 0) == .milliseconds(900))
        #expect(schedule.delay(consecutiveFailures: 12, draw: 0.999_999) == .milliseconds(330_000))
    }

    @Test func negativeFailureCountsCountAsSuccess() {
        #expect(schedule.baseDelay(consecutiveFailures: -2) == .seconds(30))
    }

    @Test func intervalsBelowOneSecondCountAsOneSecond() {
        #expect(SyncSchedule(interval: .milliseconds(10)).baseDelay(consecutiveFailures: 0) == .seconds(1))
        #expect(SyncSchedule(interval: .seconds(-5)).baseDelay(consecutiveFailures: 0) == .seconds(1))
    }

    @Test func enormousIntervalsDoNotOverflow() {
        let forever = SyncSchedule(interval: .seconds(Int64.max))
        #expect(forever.delay(consecutiveFailures: 3, draw: 0.5) == .seconds(4))
        #expect(forever.baseDelay(consecutiveFailures: 0) > .seconds(1_000_000_000))
    }
}
