import NIOCore
import SerinCore
import Synchronization

/// One model version of one deployment: the unit metrics are counted by.
struct VersionKey: Hashable, Sendable, Comparable {
    var key: DeploymentKey
    var version: String

    static func < (lhs: VersionKey, rhs: VersionKey) -> Bool {
        (lhs.key, lhs.version) < (rhs.key, rhs.version)
    }
}

/// The counters of one version. Each routed upstream holds its own, so recording a request takes one uncontended
/// lock and no dictionary look-up on the request path.
final class VersionCounters: Sendable {
    let versionKey: VersionKey

    private struct State {
        /// Answers by status code, indexed by `code - 100` for codes 100-599, the ones HTTP defines.
        var responses = [Int](repeating: 0, count: 500)
        /// Codes outside 100-599, which an upstream may still send.
        var otherResponses: [Int: Int] = [:]
        /// Per bucket, not cumulative: `LatencyHistogram.upperBounds` then `+infinity`.
        var bucketCounts = [Int](repeating: 0, count: LatencyHistogram.upperBounds.count + 1)
        var sum: Double = 0
    }

    private let state = Mutex(State())
    /// Apart from `state`: a request begins and ends in different places, and an atomic add costs less than a lock.
    private let requestsInFlight = Atomic<Int>(0)

    init(_ versionKey: VersionKey) {
        self.versionKey = versionKey
    }

    /// A request was sent this version's way.
    func begin() {
        requestsInFlight.wrappingAdd(1, ordering: .relaxed)
    }

    /// A request ended with `code` after `seconds`; `begun` says whether `begin()` was called for it.
    func finish(code: Int, seconds: Double, begun: Bool = true) {
        let bucket = LatencyHistogram.upperBounds.firstIndex { seconds <= $0 } ?? LatencyHistogram.upperBounds.count
        if begun { requestsInFlight.wrappingSubtract(1, ordering: .relaxed) }
        state.withLock { state in
            if (100..<600).contains(code) {
                state.responses[code - 100] += 1
            } else {
                state.otherResponses[code, default: 0] += 1
            }
            state.bucketCounts[bucket] += 1
            state.sum += seconds
        }
    }

    var inFlight: Int { requestsInFlight.load(ordering: .relaxed) }

    var snapshot: VersionTraffic {
        let state = state.withLock { $0 }
        var responses = state.otherResponses
        for (offset, count) in state.responses.enumerated() where count > 0 { responses[100 + offset] = count }
        var cumulative = 0
        var buckets: [LatencyHistogram.Bucket] = []
        for (index, upperBound) in (LatencyHistogram.upperBounds + [.infinity]).enumerated() {
            cumulative += state.bucketCounts[index]
            buckets.append(LatencyHistogram.Bucket(upperBound: upperBound, cumulativeCount: cumulative))
        }
        return VersionTraffic(responses: responses, latency: LatencyHistogram(buckets: buckets, sum: state.sum),
                              inFlight: inFlight)
    }
}

/// Every version's counters since it was first routed. Counters outlive routes for a while: a version taken out of
/// the routes keeps its series, as Prometheus expects counters to, for `RouterConfiguration.unroutedSeriesRetention`
/// (and picks up where it was if it is routed again within it); then `forgetUnrouted` drops them.
final class TrafficRecorder: Sendable {
    private struct Registry {
        var counters: [VersionKey: VersionCounters] = [:]
        /// Since when each version no route sends to has been out of the routes.
        var unroutedSince: [VersionKey: NIODeadline] = [:]
    }

    private let registry = Mutex(Registry())

    /// The counters of a version, made on first use.
    func counters(for versionKey: VersionKey) -> VersionCounters {
        registry.withLock { registry in
            if let counters = registry.counters[versionKey] { return counters }
            let counters = VersionCounters(versionKey)
            registry.counters[versionKey] = counters
            return counters
        }
    }

    /// The counters of a version if it was ever routed.
    func existingCounters(for versionKey: VersionKey) -> VersionCounters? {
        registry.withLock { $0.counters[versionKey] }
    }

    /// Drops the counters of versions out of the routes since `retention` before `now` with no request in flight;
    /// `routed` are the versions the routes send to now. Called when the routes change, which is the only time
    /// a version leaves them.
    func forgetUnrouted(routed: Set<VersionKey>, now: NIODeadline, retention: TimeAmount) {
        registry.withLock { registry in
            for (versionKey, counters) in registry.counters {
                guard !routed.contains(versionKey) else {
                    registry.unroutedSince[versionKey] = nil
                    continue
                }
                let since = registry.unroutedSince[versionKey] ?? now
                registry.unroutedSince[versionKey] = since
                if now - since >= retention, counters.inFlight == 0 {
                    registry.counters[versionKey] = nil
                    registry.unroutedSince[versionKey] = nil
                }
            }
        }
    }

    /// The versions of one deployment that have seen traffic or are routed.
    func traffic(for key: DeploymentKey) -> [String: VersionTraffic] {
        let counters = registry.withLock { $0.counters.values.filter { $0.versionKey.key == key } }
        var traffic: [String: VersionTraffic] = [:]
        for counter in counters { traffic[counter.versionKey.version] = counter.snapshot }
        return traffic
    }

    /// Every version's snapshot, ordered by namespace, deployment and version.
    func allTraffic() -> [(VersionKey, VersionTraffic)] {
        let counters = registry.withLock { Array($0.counters.values) }.sorted { $0.versionKey < $1.versionKey }
        return counters.map { ($0.versionKey, $0.snapshot) }
    }
}
