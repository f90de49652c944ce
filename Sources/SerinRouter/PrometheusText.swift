import SerinCore

/// The router's counters in Prometheus's text exposition format (version 0.0.4), served at `GET /metrics`.
///
/// The series names and labels are a contract: the Prometheus gates' PromQL templates query exactly
/// `serin_router_requests_total{namespace, deployment, version, code}` and
/// `serin_router_request_duration_seconds_{bucket,sum,count}{namespace, deployment, version[, le]}`.
enum PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    static let requestsName = "serin_router_requests_total"
    static let durationName = "serin_router_request_duration_seconds"

    /// `le` values as Prometheus's Go client writes them (`0.0025`, `1`, `+Inf`), so series match ones scraped from
    /// other exporters.
    static let bucketLabels = LatencyHistogram.upperBounds.map { bound in
        bound == bound.rounded() ? "\(Int(bound))" : "\(bound)"
    } + ["+Inf"]

    static func render(_ traffic: [(VersionKey, VersionTraffic)]) -> String {
        var text = ""
        text += "# HELP \(requestsName) Requests the Serin router answered, by model version and HTTP status code "
            + "(502 and 503 are the router's own: upstream unreachable, no upstream routed).\n"
        text += "# TYPE \(requestsName) counter\n"
        for (version, snapshot) in traffic {
            let labels = labelText(version)
            for (code, count) in snapshot.responses.sorted(by: { $0.key < $1.key }) {
                text += "\(requestsName){\(labels),code=\"\(code)\"} \(count)\n"
            }
        }
        text += "# HELP \(durationName) Time from a request's head arriving at the router to the last byte of its "
            + "answer written, by model version.\n"
        text += "# TYPE \(durationName) histogram\n"
        for (version, snapshot) in traffic {
            let labels = labelText(version)
            for (bucket, le) in zip(snapshot.latency.buckets, bucketLabels) {
                text += "\(durationName)_bucket{\(labels),le=\"\(le)\"} \(bucket.cumulativeCount)\n"
            }
            text += "\(durationName)_sum{\(labels)} \(number(snapshot.latency.sum))\n"
            text += "\(durationName)_count{\(labels)} \(snapshot.latency.count)\n"
        }
        return text
    }

    private static func labelText(_ version: VersionKey) -> String {
        let escaped = PrometheusLabelValue.escaped
        return "namespace=\"\(escaped(version.key.namespace))\",deployment=\"\(escaped(version.key.name))\","
            + "version=\"\(escaped(version.version))\""
    }

    /// A float as Prometheus parses it; Swift's shortest round-trip form (`0.123`, `1e-05`) is valid Go syntax.
    private static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return "\(value)"
    }
}
