/// The one I/O seam of metric gates: instant PromQL queries. `PrometheusClient` is the implementation; the seam
/// exists so the checker can run against any Prometheus-compatible API (Thanos, Mimir, VictoriaMetrics) through
/// the same client, and so a deployment without metrics can pass none at all.
public protocol MetricsQuerying: Sendable {
    /// Where the queries go, safe to print: no credentials, no query string.
    var displayAddress: String { get }

    /// Evaluates `promql` at `time` (Unix seconds; nil: the server's now).
    func query(_ promql: String, at time: Double?) async throws(PrometheusError) -> QueryResult
}

/// An instant query's answer.
public enum QueryResult: Sendable, Hashable {
    /// One sample per series; empty when nothing matched, which is no data.
    case vector([Sample])
    /// A bare number, as `1 - 0.5` or `scalar(...)` give.
    case scalar(Double)

    public struct Sample: Sendable, Hashable {
        public var labels: [String: String]
        public var value: Double

        public init(labels: [String: String], value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// The one number the answer holds: nil for an empty vector, the value of a single sample or a scalar.
    /// Several series are no single number: the count is returned so the caller can say what to aggregate.
    public var singleValue: Result<Double?, ManySeries> {
        switch self {
        case .scalar(let value): .success(value)
        case .vector(let samples) where samples.isEmpty: .success(nil)
        case .vector(let samples) where samples.count == 1: .success(samples[0].value)
        case .vector(let samples): .failure(ManySeries(count: samples.count))
        }
    }

    public struct ManySeries: Error, Sendable, Hashable {
        public var count: Int
    }
}
