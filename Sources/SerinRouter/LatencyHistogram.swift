/// Request durations in cumulative buckets, as a Prometheus histogram holds them, so a gate reading the router
/// directly in local mode computes the same quantile as a PromQL `histogram_quantile` over
/// `serin_router_request_duration_seconds_bucket` would.
public struct LatencyHistogram: Sendable, Hashable {
    /// One cumulative bucket: how many observations were at most `upperBound` seconds.
    public struct Bucket: Sendable, Hashable {
        /// Seconds; the last bucket's is `+infinity`.
        public var upperBound: Double
        /// Observations at most `upperBound`, so counts never decrease from one bucket to the next.
        public var cumulativeCount: Int

        public init(upperBound: Double, cumulativeCount: Int) {
            self.upperBound = upperBound
            self.cumulativeCount = cumulativeCount
        }
    }

    /// The router's bucket bounds in seconds: Prometheus's defaults (5 ms to 10 s) with 1 ms and 2.5 ms below them.
    /// Model inference ranges from about a millisecond (small tabular models) to seconds (large language models);
    /// without the lower two, every model faster than 5 ms would show a p95 of 4.75 ms, and a latency gate could
    /// not tell 1 ms from 4.
    public static let upperBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Ascending by upper bound, ending with the `+infinity` bucket.
    public var buckets: [Bucket]
    /// The sum of all observations, in seconds.
    public var sum: Double

    public init(buckets: [Bucket], sum: Double) {
        self.buckets = buckets
        self.sum = sum
    }

    /// An empty histogram over the router's bounds.
    public init() {
        self.init(buckets: (Self.upperBounds + [.infinity]).map { Bucket(upperBound: $0, cumulativeCount: 0) }, sum: 0)
    }

    /// The number of observations (the `+infinity` bucket's count).
    public var count: Int { buckets.last?.cumulativeCount ?? 0 }

    /// The mean duration in seconds, nil with no observations.
    public var mean: Double? { count > 0 ? sum / Double(count) : nil }

    /// The `q`-quantile (0...1) of the durations in seconds, estimated exactly as Prometheus's `histogram_quantile`
    /// does, so local gates and PromQL gates agree on the same counts:
    /// - the rank is `q × count`; the answer lies in the first bucket whose cumulative count reaches the rank;
    /// - within that bucket, observations are assumed spread evenly: the answer is interpolated linearly between
    ///   the bucket's lower bound (the previous bucket's upper bound, or 0 for the first bucket) and its upper bound,
    ///   by the share of the bucket's own observations the rank needs;
    /// - when the rank falls in the `+infinity` bucket, the answer is the highest finite upper bound (10 s), as no
    ///   upper limit is known.
    /// Returns nil with no observations or a `q` outside 0...1 (where Prometheus returns NaN or ±Inf). One corner
    /// differs: `q = 0` with an empty first bucket gives that bucket's upper bound, where Prometheus divides 0 by 0.
    public func quantile(_ q: Double) -> Double? {
        guard q >= 0, q <= 1, count > 0, buckets.count >= 2 else { return nil }
        let rank = q * Double(count)
        guard let index = buckets.firstIndex(where: { Double($0.cumulativeCount) >= rank }) else { return nil }
        if index == buckets.count - 1 {
            return buckets[buckets.count - 2].upperBound
        }
        let bucket = buckets[index]
        if index == 0 && bucket.upperBound <= 0 {
            return bucket.upperBound
        }
        let lowerBound = index == 0 ? 0 : buckets[index - 1].upperBound
        let countBelow = index == 0 ? 0 : buckets[index - 1].cumulativeCount
        let inBucket = bucket.cumulativeCount - countBelow
        guard inBucket > 0 else { return bucket.upperBound }
        return lowerBound + (bucket.upperBound - lowerBound) * ((rank - Double(countBelow)) / Double(inBucket))
    }

    /// The observations made since `earlier` (a snapshot of the same histogram taken before), as a gate wants for
    /// its window, like PromQL's `increase` over the buckets.
    public func since(_ earlier: LatencyHistogram) -> LatencyHistogram {
        guard earlier.buckets.map(\.upperBound) == buckets.map(\.upperBound) else { return self }
        let difference = zip(buckets, earlier.buckets).map { now, then in
            Bucket(upperBound: now.upperBound, cumulativeCount: max(0, now.cumulativeCount - then.cumulativeCount))
        }
        return LatencyHistogram(buckets: difference, sum: max(0, sum - earlier.sum))
    }
}
