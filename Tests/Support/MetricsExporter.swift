import Foundation
import Synchronization

/// A stand-in for what Prometheus scrapes in production: Serin's router, MLServer and TorchServe exposing request
/// counters and latency histograms per version, in each one's own metric names and labels.
///
/// Each test sets a version's traffic *per scrape*: every time Prometheus scrapes a path, the counters of the
/// series served there grow by that much, as a steady stream of requests would make them. Because every series of
/// a path is sampled at the same instants, Prometheus' extrapolation scales them alike, and ratios (success rates)
/// and histogram quantiles come out exact. Series appear only once they have counted something, as real clients
/// create labelled series lazily: a version without errors has no error series at all.
public final class MetricsExporter: Sendable {
    public enum Format: String, Sendable {
        /// `serin_router_requests_total{namespace,deployment,version,code}` and
        /// `serin_router_request_duration_seconds{namespace,deployment,version}`: what Serin's router will export.
        case serin
        /// `model_infer_request_success_total` / `_failure_total{model,version}`, as MLServer's prometheus_client
        /// prints them; the scrape job adds `namespace`.
        case mlserver
        /// `ts_inference_requests_total{model_name,model_version,hostname}` and `Requests5XX{Level,Hostname}`, as
        /// TorchServe's Java client prints them (with its trailing commas); the scrape job adds `namespace`.
        case torchserve
        /// `istio_requests_total{reporter,destination_workload_namespace,destination_canonical_service,
        /// destination_canonical_revision,response_code}` and `istio_request_duration_milliseconds`, as the Envoy
        /// sidecars of an Istio mesh report them for each pod; `deployment` is the canonical service.
        case istio

        /// Where Prometheus scrapes this format.
        public var path: String { "/metrics/\(rawValue)" }
    }

    /// One version's traffic between two scrapes.
    public struct Traffic: Sendable {
        public var requests: Int
        public var errors: Int = 0
        /// Cumulative counts per histogram bound in seconds, the last bound holding every request; serin and istio
        /// formats only.
        public var latency: [(le: Double, count: Int)] = []
        /// TorchServe's host serving this version.
        public var hostname: String = "host"

        public init(requests: Int, errors: Int = 0, latency: [(le: Double, count: Int)] = [], hostname: String = "host") {
            self.requests = requests
            self.errors = errors
            self.latency = latency
            self.hostname = hostname
        }
    }

    private struct Series: Sendable {
        var format: Format
        var namespace: String
        var deployment: String
        var model: String
        var version: String
        var traffic: Traffic
        var requests = 0
        var errors = 0
        var buckets: [Int] = []
    }

    /// The series, shared with the server's handler.
    private final class Store: Sendable {
        let series = Mutex<[Series]>([])
    }

    private let store = Store()
    private let server: LoopbackHTTPServer

    public init() throws {
        let series = store
        server = try LoopbackHTTPServer { request in
            guard request.method == "GET", let format = Format.allCases.first(where: { request.path == $0.path }) else {
                return .respond(status: 404, body: Array("not found\n".utf8))
            }
            let text = series.series.withLock { all -> String in
                for index in all.indices where all[index].format == format {
                    all[index].requests += all[index].traffic.requests
                    all[index].errors += all[index].traffic.errors
                    let latency = all[index].traffic.latency.map(\.count)
                    if all[index].buckets.count != latency.count { all[index].buckets = Array(repeating: 0, count: latency.count) }
                    for bucket in latency.indices { all[index].buckets[bucket] += latency[bucket] }
                }
                return Self.render(all.filter { $0.format == format }, format: format)
            }
            return .respond(status: 200, contentType: "text/plain; version=0.0.4", body: Array(text.utf8))
        }
    }

    public var port: UInt16 { server.port }

    public func stop() { server.stop() }

    /// Sets (or replaces) a version's traffic from the next scrape on.
    public func set(_ format: Format, namespace: String, deployment: String, model: String, version: String, traffic: Traffic) {
        store.series.withLock { all in
            if let index = all.firstIndex(where: { $0.format == format && $0.namespace == namespace && $0.deployment == deployment && $0.version == version }) {
                all[index].traffic = traffic
            } else {
                all.append(Series(format: format, namespace: namespace, deployment: deployment, model: model, version: version, traffic: traffic))
            }
        }
    }

    private static func render(_ all: [Series], format: Format) -> String {
        var lines: [String] = []
        switch format {
        case .serin:
            lines.append("# TYPE serin_router_requests_total counter")
            for s in all {
                let labels = "namespace=\"\(s.namespace)\",deployment=\"\(s.deployment)\",version=\"\(s.version)\""
                if s.requests - s.errors > 0 { lines.append("serin_router_requests_total{\(labels),code=\"200\"} \(s.requests - s.errors)") }
                if s.errors > 0 { lines.append("serin_router_requests_total{\(labels),code=\"503\"} \(s.errors)") }
            }
            lines.append("# TYPE serin_router_request_duration_seconds histogram")
            for s in all where !s.buckets.isEmpty {
                let labels = "namespace=\"\(s.namespace)\",deployment=\"\(s.deployment)\",version=\"\(s.version)\""
                for (bound, count) in zip(s.traffic.latency.map(\.le), s.buckets) {
                    lines.append("serin_router_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(count)")
                }
                lines.append("serin_router_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(s.buckets.last ?? 0)")
                lines.append("serin_router_request_duration_seconds_count{\(labels)} \(s.buckets.last ?? 0)")
                lines.append("serin_router_request_duration_seconds_sum{\(labels)} 0")
            }
        case .mlserver:
            lines.append("# HELP model_infer_request_success_total Model infer request success count")
            lines.append("# TYPE model_infer_request_success_total counter")
            for s in all where s.requests - s.errors > 0 {
                lines.append("model_infer_request_success_total{model=\"\(s.model)\",version=\"\(s.version)\"} \(Double(s.requests - s.errors))")
            }
            lines.append("# HELP model_infer_request_failure_total Model infer request failure count")
            lines.append("# TYPE model_infer_request_failure_total counter")
            for s in all where s.errors > 0 {
                lines.append("model_infer_request_failure_total{model=\"\(s.model)\",version=\"\(s.version)\"} \(Double(s.errors))")
            }
        case .torchserve:
            lines.append("# HELP ts_inference_requests_total Torchserve prometheus counter metric with unit: Count")
            lines.append("# TYPE ts_inference_requests_total counter")
            for s in all where s.requests > 0 {
                lines.append("ts_inference_requests_total{model_name=\"\(s.model)\",model_version=\"\(s.version)\",hostname=\"\(s.traffic.hostname)\",} \(Double(s.requests))")
            }
            lines.append("# HELP Requests5XX Torchserve prometheus counter metric with unit: Count")
            lines.append("# TYPE Requests5XX counter")
            for s in all where s.errors > 0 {
                lines.append("Requests5XX{Level=\"Host\",Hostname=\"\(s.traffic.hostname)\",} \(Double(s.errors))")
            }
        case .istio:
            lines.append("# TYPE istio_requests_total counter")
            for s in all {
                let labels = "reporter=\"destination\",destination_workload_namespace=\"\(s.namespace)\","
                    + "destination_canonical_service=\"\(s.deployment)\",destination_canonical_revision=\"\(s.version)\""
                if s.requests - s.errors > 0 { lines.append("istio_requests_total{\(labels),response_code=\"200\"} \(s.requests - s.errors)") }
                if s.errors > 0 { lines.append("istio_requests_total{\(labels),response_code=\"503\"} \(s.errors)") }
            }
            lines.append("# TYPE istio_request_duration_milliseconds histogram")
            for s in all where !s.buckets.isEmpty {
                let labels = "reporter=\"destination\",destination_workload_namespace=\"\(s.namespace)\","
                    + "destination_canonical_service=\"\(s.deployment)\",destination_canonical_revision=\"\(s.version)\""
                for (bound, count) in zip(s.traffic.latency.map(\.le), s.buckets) {
                    lines.append("istio_request_duration_milliseconds_bucket{\(labels),le=\"\(bound * 1_000)\"} \(count)")
                }
                lines.append("istio_request_duration_milliseconds_bucket{\(labels),le=\"+Inf\"} \(s.buckets.last ?? 0)")
                lines.append("istio_request_duration_milliseconds_count{\(labels)} \(s.buckets.last ?? 0)")
                lines.append("istio_request_duration_milliseconds_sum{\(labels)} 0")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension MetricsExporter.Format: CaseIterable {}
