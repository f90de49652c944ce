import SerinCore
import Synchronization

/// Infer counters and latency in Prometheus text, under MLServer's own names and labels, so the Prometheus queries
/// and gate templates written for MLServer work unchanged against this server:
/// `model_infer_request_success_total{model, version}`, `model_infer_request_failure_total{model, version}` and
/// `model_infer_request_duration{model, version}` in seconds. MLServer exports the duration as a summary (`_sum`,
/// `_count`); here it is a histogram, which has the same `_sum` and `_count` series plus `_bucket`, so average
/// latency queries work on both and quantile queries (`histogram_quantile`) work here too.
public final class InferenceMetrics: Sendable {
    /// Prometheus' default buckets (as prometheus_client uses), in seconds.
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

    /// What has been counted so far.
    public struct Snapshot: Sendable, Hashable {
        public var successes = 0
        public var failures = 0
        /// Observations at or below each of `bucketBounds` (not cumulative).
        public var bucketCounts = [Int](repeating: 0, count: InferenceMetrics.bucketBounds.count)
        public var durationSum = 0.0
        public var durationCount = 0
    }

    public let modelName: String
    public let modelVersion: String
    private let state = Mutex(Snapshot())

    public init(modelName: String, modelVersion: String) {
        self.modelName = modelName
        self.modelVersion = modelVersion
    }

    /// Counts one infer request: a success when it answered 200, a failure otherwise (MLServer counts every
    /// request that raised, bad input included), and its duration.
    public func record(success: Bool, duration: Duration) {
        let seconds = duration.seconds
        state.withLock { snapshot in
            if success { snapshot.successes += 1 } else { snapshot.failures += 1 }
            if let bucket = Self.bucketBounds.firstIndex(where: { seconds <= $0 }) {
                snapshot.bucketCounts[bucket] += 1
            }
            snapshot.durationSum += seconds
            snapshot.durationCount += 1
        }
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// The Prometheus text exposition format (version 0.0.4) of every series.
    public var prometheusText: String {
        let snapshot = self.snapshot
        let labels = "model=\"\(PrometheusLabelValue.escaped(modelName))\",version=\"\(PrometheusLabelValue.escaped(modelVersion))\""
        var lines: [String] = [
            "# HELP model_infer_request_success Model infer request success count",
            "# TYPE model_infer_request_success counter",
            "model_infer_request_success_total{\(labels)} \(Double(snapshot.successes))",
            "# HELP model_infer_request_failure Model infer request failure count",
            "# TYPE model_infer_request_failure counter",
            "model_infer_request_failure_total{\(labels)} \(Double(snapshot.failures))",
            "# HELP model_infer_request_duration Model infer request duration",
            "# TYPE model_infer_request_duration histogram",
        ]
        var cumulative = 0
        for (bound, count) in zip(Self.bucketBounds, snapshot.bucketCounts) {
            cumulative += count
            lines.append("model_infer_request_duration_bucket{\(labels),le=\"\(bound)\"} \(Double(cumulative))")
        }
        lines.append("model_infer_request_duration_bucket{\(labels),le=\"+Inf\"} \(Double(snapshot.durationCount))")
        lines.append("model_infer_request_duration_sum{\(labels)} \(snapshot.durationSum)")
        lines.append("model_infer_request_duration_count{\(labels)} \(Double(snapshot.durationCount))")
        return lines.joined(separator: "\n") + "\n"
    }
}
