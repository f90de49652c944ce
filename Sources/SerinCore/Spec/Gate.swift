/// One health check a version must pass before it takes more traffic.
public struct Gate: Sendable, Hashable {
    /// Unique within a ModelDeployment; ledger commits and metrics name gates by it.
    public var name: String
    public var check: GateCheck

    public init(name: String, check: GateCheck) {
        self.name = name
        self.check = check
    }
}

public enum GateCheck: Sendable, Hashable {
    /// The fraction of requests to the version that succeed must be at least `min`.
    case successRate(min: Double)
    /// The `quantile` of request latency must be at most `max`.
    case latency(quantile: Double, max: SpecDuration)
    /// The PromQL `query` must return one value within `min`...`max` (either bound may be absent, not both).
    case prometheus(query: String, min: Double?, max: Double?)
    /// The `url` must answer 2xx within `timeout`; `metadata` is sent along in the request body.
    case webhook(url: String, timeout: SpecDuration, metadata: [String: String])

    /// The key that introduces this check in YAML, also the gate's default name.
    public var kind: String {
        switch self {
        case .successRate: "successRate"
        case .latency: "latency"
        case .prometheus: "prometheus"
        case .webhook: "webhook"
        }
    }

    public static let kinds = ["successRate", "latency", "prometheus", "webhook"]
}
