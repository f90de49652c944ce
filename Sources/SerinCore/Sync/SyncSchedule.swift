/// When the Git sync loop fetches next: a pure policy, so the loop (which owns the clock and the random numbers)
/// stays trivial and the policy is tested exactly.
///
/// After a successful sync the next one comes one `interval` later. After failures it backs off exponentially from
/// one second, doubling per consecutive failure: a blip is retried at once, a lasting outage is not hammered. The
/// backoff is capped at five minutes, so that a recovered remote is noticed within five minutes, or at the
/// interval when that is longer, so that a failing remote, once backed off, is never polled more often than a
/// healthy one would be (a long interval usually means the remote is expensive to poll). Every delay is
/// jittered by up to `jitter` of itself either way, so that many Serin instances do not fetch in lockstep; the cap
/// is jittered too, so a capped delay may exceed it by that fraction.
public struct SyncSchedule: Sendable, Hashable {
    public static let defaultInterval: Duration = .seconds(30)
    /// The largest jitter accepted: a tenth of each delay either way.
    public static let maximumJitter = 0.1
    public static let firstRetry: Duration = .seconds(1)
    public static let backoffCap: Duration = .seconds(300)
    /// The shortest interval accepted, as for rollout intervals.
    public static let minimumInterval: Duration = SpecDefaults.minimumInterval.duration

    /// Between successful syncs; shorter values count as `minimumInterval`.
    public var interval: Duration
    /// The fraction of each delay the jitter may add or remove, clamped to 0...`maximumJitter`.
    public var jitter: Double

    public init(interval: Duration = defaultInterval, jitter: Double = maximumJitter) {
        self.interval = interval
        self.jitter = jitter
    }

    /// The longest delay between failing syncs before jitter: five minutes, or the interval when that is longer.
    public var maximumBackoff: Duration {
        .milliseconds(max(Self.backoffCap.wholeMilliseconds, intervalMilliseconds))
    }

    /// The delay before the next sync, before jitter: the interval after a success (`consecutiveFailures` 0),
    /// else 1 s, 2 s, 4 s… up to `maximumBackoff`.
    public func baseDelay(consecutiveFailures: Int) -> Duration {
        .milliseconds(baseMilliseconds(consecutiveFailures: consecutiveFailures))
    }

    /// The delay before the next sync. `draw` is a uniform random number in 0..<1 from the caller: 0 shortens the
    /// delay by the full jitter, 0.5 leaves it as is, values towards 1 lengthen it. Draws outside 0...1 are
    /// clamped, and a NaN draw means no jitter.
    public func delay(consecutiveFailures: Int, draw: Double) -> Duration {
        let base = Double(baseMilliseconds(consecutiveFailures: consecutiveFailures))
        let fraction = jitter.isNaN ? 0 : min(max(jitter, 0), Self.maximumJitter)
        let position = draw.isNaN ? 0.5 : min(max(draw, 0), 1)
        let jittered = base * (1 + fraction * (2 * position - 1))
        return .milliseconds(Int64(jittered.rounded()))
    }

    private func baseMilliseconds(consecutiveFailures: Int) -> Int64 {
        guard consecutiveFailures > 0 else { return intervalMilliseconds }
        let cap = maximumBackoff.wholeMilliseconds
        // 2^31 seconds is past any cap, and keeps the shift from overflowing.
        let doublings = min(consecutiveFailures - 1, 31)
        return min(Self.firstRetry.wholeMilliseconds << Int64(doublings), cap)
    }

    private var intervalMilliseconds: Int64 {
        max(interval.wholeMilliseconds, Self.minimumInterval.wholeMilliseconds)
    }
}
