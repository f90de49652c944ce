/// Where the `successRate` and `latency` gates find their numbers: which metrics, with which labels, in the
/// Prometheus that Serin queries. `rollout.metrics.source` in the spec; Serin's own router when none is named.
public enum MetricsSource: Sendable, Hashable {
    /// Serin's local router: `serin_router_requests_total{namespace,deployment,version,code}` and the histogram
    /// `serin_router_request_duration_seconds{namespace,deployment,version}`.
    case serin
    /// MLServer's own inference counters, `model_infer_request_success_total` and
    /// `model_infer_request_failure_total`, labelled `model` and `version`. No latency quantiles: MLServer records
    /// `model_infer_request_duration` as a summary without quantiles.
    case mlserver
    /// TorchServe's `ts_inference_requests_total{model_name,model_version,hostname}` for traffic, and its per-host
    /// `Requests5XX{Hostname}` for errors, joined on the host name. No latency quantiles: TorchServe only adds up
    /// latency (`ts_inference_latency_microseconds` is a counter).
    case torchserve
    /// Istio's standard metrics as the destination's sidecar reports them, selected by canonical service (the
    /// ModelDeployment's name) and canonical revision (the version).
    case istio
    /// The user's own PromQL templates.
    case custom(CustomMetricTemplates)

    /// The name `rollout.metrics.source` takes.
    public var name: String {
        switch self {
        case .serin: "serin"
        case .mlserver: "mlserver"
        case .torchserve: "torchserve"
        case .istio: "istio"
        case .custom: "custom"
        }
    }

    public static let names = ["serin", "mlserver", "torchserve", "istio", "custom"]

    /// Whether this source can measure what a gate of `kind` needs; nil when it can, else why not, in words that
    /// finish "source X cannot measure …: <reason>".
    public func limitation(forGate kind: String) -> String? {
        switch (self, kind) {
        case (.mlserver, "latency"):
            return "MLServer records model_infer_request_duration as a summary without quantiles"
        case (.torchserve, "latency"):
            return "TorchServe only adds latency up (ts_inference_latency_microseconds is a counter), which gives no quantile"
        case (.custom(let templates), "successRate") where templates.successRate == nil:
            return "metrics.successRate is not set"
        case (.custom(let templates), "latency") where templates.latency == nil:
            return "metrics.latency is not set"
        default:
            return nil
        }
    }
}

/// PromQL templates for `source: custom`. Placeholders, filled in for each check: `{{namespace}}` and `{{name}}`
/// (the ModelDeployment), `{{model}}` (`spec.model.name`), `{{version}}` (the version measured: the canary, or the
/// stable version for a relative bound), `{{interval}}` (the rollout interval as a PromQL duration, `1m`) and, in
/// `latency` only, `{{quantile}}`.
public struct CustomMetricTemplates: Sendable, Hashable {
    /// The number of requests the version received over the interval (`sum(increase(...[{{interval}}]))`).
    public var requests: String
    /// The fraction of those requests that succeeded, 0 to 1. Needed by successRate gates.
    public var successRate: String?
    /// The `{{quantile}}` of request duration over the interval, in seconds. Needed by latency gates.
    public var latency: String?

    public init(requests: String, successRate: String? = nil, latency: String? = nil) {
        self.requests = requests
        self.successRate = successRate
        self.latency = latency
    }

    /// Every placeholder a template may use.
    public static let placeholders = ["namespace", "name", "model", "version", "interval", "quantile"]
}
