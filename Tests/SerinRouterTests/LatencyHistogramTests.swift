import SerinCore
@testable import SerinRouter
import Testing

@Suite("Latency histogram quantiles")
struct LatencyHistogramTests {
    /// 100 observations: 10 up to 5 ms, 40 more up to 10 ms, 40 more up to 25 ms, 10 more up to 50 ms.
    static let histogram: LatencyHistogram = {
        let cumulative = [10, 50, 90, 100, 100]
        let bounds = [0.005, 0.01, 0.025, 0.05, .infinity]
        return LatencyHistogram(buckets: zip(bounds, cumulative).map { LatencyHistogram.Bucket(upperBound: $0, cumulativeCount: $1) },
                                sum: 1.5)
    }()

    @Test("quantiles interpolate linearly inside the bucket that holds the rank, as histogram_quantile does")
    func interpolation() throws {
        // rank 50 is the last of the (5 ms, 10 ms] bucket: its upper bound.
        #expect(try #require(Self.histogram.quantile(0.5)) == 0.01)
        // rank 5 is halfway through the first bucket, which starts at 0.
        #expect(abs(try #require(Self.histogram.quantile(0.05)) - 0.0025) < 1e-12)
        // rank 70 is 20 of the 40 in (10 ms, 25 ms]: 10 + 15 × 0.5 ms.
        #expect(abs(try #require(Self.histogram.quantile(0.7)) - 0.0175) < 1e-12)
        // rank 99 is 9 of the 10 in (25 ms, 50 ms].
        #expect(abs(try #require(Self.histogram.quantile(0.99)) - 0.0475) < 1e-12)
        #expect(try #require(Self.histogram.quantile(1)) == 0.05)
    }

    @Test("a rank in the +Inf bucket gives the highest finite bound")
    func overflow() throws {
        let bounds = LatencyHistogram.upperBounds + [.infinity]
        let counts = Array(repeating: 0, count: bounds.count - 1) + [4]
        let histogram = LatencyHistogram(buckets: zip(bounds, counts).map { LatencyHistogram.Bucket(upperBound: $0, cumulativeCount: $1) },
                                         sum: 80)
        #expect(histogram.quantile(0.5) == 10)
    }

    @Test("answers faster than 5 ms are told apart: 1.5 ms ones give a p95 inside (1 ms, 2.5 ms], not 4.75 ms")
    func fastAnswers() throws {
        let counters = VersionCounters(VersionKey(key: DeploymentKey(namespace: "ml", name: "iris"), version: "v1"))
        for _ in 0..<20 { counters.finish(code: 200, seconds: 0.0015, begun: false) }
        let p95 = try #require(counters.snapshot.latency.quantile(0.95))
        #expect(p95 > 0.001 && p95 <= 0.0025, "p95 \(p95)")
    }

    @Test("no observations or a quantile outside 0...1 gives nil")
    func undefined() {
        #expect(LatencyHistogram().quantile(0.5) == nil)
        #expect(Self.histogram.quantile(1.5) == nil)
        #expect(Self.histogram.quantile(-0.1) == nil)
    }

    @Test("since() leaves the observations of the window")
    func window() {
        let earlier = Self.histogram
        var later = earlier
        later.buckets = later.buckets.enumerated().map { index, bucket in
            LatencyHistogram.Bucket(upperBound: bucket.upperBound, cumulativeCount: bucket.cumulativeCount + (index >= 4 ? 5 : 0))
        }
        later.sum += 0.4
        let window = later.since(earlier)
        #expect(window.count == 5)
        #expect(abs(window.sum - 0.4) < 1e-12)
        #expect(window.buckets[3].cumulativeCount == 0)
        #expect(window.buckets[4].cumulativeCount == 5)
        #expect(window.mean.map { abs($0 - 0.08) < 1e-12 } == true)
    }

    @Test("VersionTraffic counts 5xx answers as errors and computes a success rate")
    func errors() {
        let traffic = VersionTraffic(responses: [200: 90, 404: 4, 500: 1, 502: 3, 503: 2])
        #expect(traffic.requests == 100)
        #expect(traffic.errors == 6)
        #expect(traffic.successRate == 0.94)
        let later = VersionTraffic(responses: [200: 95, 404: 4, 500: 1, 502: 4, 503: 2])
        #expect(later.since(traffic).responses == [200: 5, 502: 1])
    }
}
