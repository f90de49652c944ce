/// The PromQL Serin sends for a gate's evidence about one version of one ModelDeployment over one interval.
///
/// Every query returns a single number (a one-element vector, or nothing when there is no data):
/// - `requests`: how many requests the version received over the interval;
/// - `successRate`: the fraction of them that succeeded (a 5xx answer is a failure; 4xx is the client's);
/// - `latency`: the gate's quantile of request duration, always in milliseconds.
///
/// Series that appear only once something happened (an error counter before the first error) are handled with
/// `or vector(0)` on the side that may be missing, never on the denominator: a version whose every request
/// failed measures 0, not "no data", and a version with no series at all measures nothing, never a pass.
///
/// Label contracts of the built-in sources (what the scrape must provide):
/// - `serin`: the router's own labels `namespace`, `deployment` (the ModelDeployment's name), `version`, `code`.
/// - `mlserver`: MLServer's `model` (`spec.model.name`) and `version` (set MLSERVER_MODEL_VERSION to the version,
///   as the examples do), plus `namespace` added by the scrape (Prometheus Operator's monitors and the usual
///   Kubernetes relabelling add it), so two namespaces serving the same model name never mix.
/// - `torchserve`: `model_name`, `model_version` and `hostname` on `ts_inference_requests_total`, `Hostname` on
///   `Requests5XX`, plus the scrape's `namespace`. Errors are counted per host and attributed to a version through
///   the hosts that served it: each TorchServe pod serves one version, as Serin deploys it.
/// - `istio`: `reporter="destination"`, `destination_workload_namespace`, `destination_canonical_service` (the
///   ModelDeployment's name) and `destination_canonical_revision` (the version), which Istio takes from the pods'
///   `app.kubernetes.io/name` and `app.kubernetes.io/version` labels.
public struct MetricQueries: Sendable, Hashable {
    public var source: MetricsSource
    public var namespace: String
    /// The ModelDeployment's name.
    public var name: String
    /// `spec.model.name`.
    public var model: String
    public var interval: SpecDuration

    public init(source: MetricsSource, namespace: String, name: String, model: String, interval: SpecDuration) {
        self.source = source
        self.namespace = namespace
        self.name = name
        self.model = model
        self.interval = interval
    }

    public init(source: MetricsSource, context: GateContext) {
        self.init(source: source, namespace: context.key.namespace, name: context.key.name, model: context.modelName,
                  interval: context.interval)
    }

    /// The number of requests `version` received over the interval.
    public func requests(version: String) -> String {
        let range = PromQL.duration(interval)
        switch source {
        case .serin:
            return "sum(increase(serin_router_requests_total{\(serinSelector(version))}[\(range)]))"
        case .mlserver:
            return mlserverRequests(version)
        case .torchserve:
            return "sum(increase(ts_inference_requests_total{\(torchserveSelector(version))}[\(range)]))"
        case .istio:
            return "sum(increase(istio_requests_total{\(istioSelector(version))}[\(range)]))"
        case .custom(let templates):
            return fill(templates.requests, version: version, quantile: nil)
        }
    }

    /// The fraction of `version`'s requests over the interval that succeeded; nil when the source cannot measure it
    /// (validation refuses such a spec, so only a hand-made one gets here).
    public func successRate(version: String) -> String? {
        let range = PromQL.duration(interval)
        switch source {
        case .serin:
            let all = "sum(increase(serin_router_requests_total{\(serinSelector(version))}[\(range)]))"
            let succeeded = "sum(increase(serin_router_requests_total{\(serinSelector(version)),code!~\"5..\"}[\(range)]))"
            return "(\(succeeded) or vector(0)) / \(all)"
        case .mlserver:
            let succeeded = "sum(increase(model_infer_request_success_total{\(mlserverSelector(version))}[\(range)]))"
            return "(\(succeeded) or vector(0)) / (\(mlserverRequests(version)))"
        case .torchserve:
            let selector = torchserveSelector(version)
            let requests = "sum(increase(ts_inference_requests_total{\(selector)}[\(range)]))"
            // The hosts that served this version, as a {Hostname} → 1 map to multiply per-host 5xx counts with.
            let hosts = "max by (Hostname) (label_replace(ts_inference_requests_total{\(selector)}, \"Hostname\", \"$1\", \"hostname\", \"(.*)\") * 0 + 1)"
            let errors = "sum(increase(Requests5XX{namespace=\(PromQL.quoted(namespace))}[\(range)]) * on (Hostname) group_left () \(hosts))"
            return "1 - (\(errors) or vector(0)) / \(requests)"
        case .istio:
            let all = "sum(increase(istio_requests_total{\(istioSelector(version))}[\(range)]))"
            let succeeded = "sum(increase(istio_requests_total{\(istioSelector(version)),response_code!~\"5.*\"}[\(range)]))"
            return "(\(succeeded) or vector(0)) / \(all)"
        case .custom(let templates):
            return templates.successRate.map { fill($0, version: version, quantile: nil) }
        }
    }

    /// The `quantile` of `version`'s request duration over the interval, in milliseconds; nil when the source
    /// cannot measure it. Histogram quantiles are only as fine as the buckets: above the highest finite bucket,
    /// Prometheus answers that bucket's bound, so the buckets must reach past every `max` a gate uses.
    public func latencyMilliseconds(version: String, quantile: Double) -> String? {
        let range = PromQL.duration(interval)
        let q = PromQL.number(quantile)
        switch source {
        case .serin:
            return "histogram_quantile(\(q), sum by (le) (rate(serin_router_request_duration_seconds_bucket{\(serinSelector(version))}[\(range)]))) * 1000"
        case .istio:
            return "histogram_quantile(\(q), sum by (le) (rate(istio_request_duration_milliseconds_bucket{\(istioSelector(version))}[\(range)])))"
        case .mlserver, .torchserve:
            return nil
        case .custom(let templates):
            // Custom templates answer in seconds, Prometheus' base unit.
            return templates.latency.map { "(\(fill($0, version: version, quantile: quantile))) * 1000" }
        }
    }

    /// The query for the value a successRate or latency gate holds to its bounds; nil for other gates, or when the
    /// source cannot measure it.
    public func value(of check: GateCheck, version: String) -> String? {
        switch check {
        case .successRate: successRate(version: version)
        case .latency(let latency): latencyMilliseconds(version: version, quantile: latency.quantile)
        case .prometheus, .webhook: nil
        }
    }

    // MARK: Selectors

    private func serinSelector(_ version: String) -> String {
        "namespace=\(PromQL.quoted(namespace)),deployment=\(PromQL.quoted(name)),version=\(PromQL.quoted(version))"
    }

    private func mlserverSelector(_ version: String) -> String {
        "namespace=\(PromQL.quoted(namespace)),model=\(PromQL.quoted(model)),version=\(PromQL.quoted(version))"
    }

    private func torchserveSelector(_ version: String) -> String {
        "namespace=\(PromQL.quoted(namespace)),model_name=\(PromQL.quoted(model)),model_version=\(PromQL.quoted(version))"
    }

    private func istioSelector(_ version: String) -> String {
        "reporter=\"destination\",destination_workload_namespace=\(PromQL.quoted(namespace)),"
            + "destination_canonical_service=\(PromQL.quoted(name)),destination_canonical_revision=\(PromQL.quoted(version))"
    }

    /// MLServer counts successes and failures apart, and each counter appears only once it has counted something:
    /// the total is their sum when both exist, else whichever exists, else nothing (no data).
    private func mlserverRequests(_ version: String) -> String {
        let range = PromQL.duration(interval)
        let selector = mlserverSelector(version)
        let succeeded = "sum(increase(model_infer_request_success_total{\(selector)}[\(range)]))"
        let failed = "sum(increase(model_infer_request_failure_total{\(selector)}[\(range)]))"
        return "(\(succeeded) + \(failed)) or \(succeeded) or \(failed)"
    }

    // MARK: Templates

    /// Replaces every `{{placeholder}}` (spaces inside the braces allowed). Label values are escaped for a
    /// double-quoted PromQL string, which is where templates put them; placeholders were validated when the spec
    /// was decoded, and an unknown one is left as written.
    func fill(_ template: String, version: String, quantile: Double?) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{"), let close = rest[open.upperBound...].firstRange(of: "}}") {
            result += rest[..<open.lowerBound]
            let key = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            switch key {
            case "namespace": result += PromQL.escaped(namespace)
            case "name": result += PromQL.escaped(name)
            case "model": result += PromQL.escaped(model)
            case "version": result += PromQL.escaped(version)
            case "interval": result += PromQL.duration(interval)
            case "quantile" where quantile != nil: result += PromQL.number(quantile ?? 0)
            default: result += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
