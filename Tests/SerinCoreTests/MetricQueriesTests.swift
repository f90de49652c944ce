import SerinCore
import Testing

@Suite("Metric queries: the PromQL each source sends for one version")
struct MetricQueriesTests {
    private func queries(_ source: MetricsSource, interval: SpecDuration = .minutes(1)) -> MetricQueries {
        MetricQueries(source: source, namespace: "ml-prod", name: "fraud", model: "fraud-detector", interval: interval)
    }

    @Test func serinReadsTheRoutersCountersAndHistogram() {
        let serin = queries(.serin)
        let selector = #"namespace="ml-prod",deployment="fraud",version="13""#
        #expect(serin.requests(version: "13") == "sum(increase(serin_router_requests_total{\(selector)}[1m]))")
        #expect(serin.successRate(version: "13") ==
            #"(sum(increase(serin_router_requests_total{\#(selector),code!~"5.."}[1m])) or vector(0)) / sum(increase(serin_router_requests_total{\#(selector)}[1m]))"#)
        #expect(serin.latencyMilliseconds(version: "13", quantile: 0.99) ==
            "histogram_quantile(0.99, sum by (le) (rate(serin_router_request_duration_seconds_bucket{\(selector)}[1m]))) * 1000")
    }

    @Test func mlserverAddsSuccessesAndFailuresWhicheverExist() {
        let mlserver = queries(.mlserver)
        let selector = #"namespace="ml-prod",model="fraud-detector",version="13""#
        let succeeded = "sum(increase(model_infer_request_success_total{\(selector)}[1m]))"
        let failed = "sum(increase(model_infer_request_failure_total{\(selector)}[1m]))"
        #expect(mlserver.requests(version: "13") == "(\(succeeded) + \(failed)) or \(succeeded) or \(failed)")
        #expect(mlserver.successRate(version: "13") == "(\(succeeded) or vector(0)) / ((\(succeeded) + \(failed)) or \(succeeded) or \(failed))")
        #expect(mlserver.latencyMilliseconds(version: "13", quantile: 0.99) == nil)
    }

    @Test func torchserveAttributesPerHostErrorsToTheHostsThatServedTheVersion() {
        let torchserve = queries(.torchserve)
        let selector = #"namespace="ml-prod",model_name="fraud-detector",model_version="13""#
        #expect(torchserve.requests(version: "13") == "sum(increase(ts_inference_requests_total{\(selector)}[1m]))")
        #expect(torchserve.successRate(version: "13") ==
            #"1 - (sum(increase(Requests5XX{namespace="ml-prod"}[1m]) * on (Hostname) group_left () max by (Hostname) (label_replace(ts_inference_requests_total{\#(selector)}, "Hostname", "$1", "hostname", "(.*)") * 0 + 1)) or vector(0)) / sum(increase(ts_inference_requests_total{\#(selector)}[1m]))"#)
        #expect(torchserve.latencyMilliseconds(version: "13", quantile: 0.99) == nil)
    }

    @Test func istioSelectsTheDestinationsCanonicalServiceAndRevision() {
        let istio = queries(.istio, interval: SpecDuration(milliseconds: 90_000))
        let selector = #"reporter="destination",destination_workload_namespace="ml-prod",destination_canonical_service="fraud",destination_canonical_revision="13""#
        #expect(istio.requests(version: "13") == "sum(increase(istio_requests_total{\(selector)}[1m30s]))")
        #expect(istio.successRate(version: "13") ==
            #"(sum(increase(istio_requests_total{\#(selector),response_code!~"5.*"}[1m30s])) or vector(0)) / sum(increase(istio_requests_total{\#(selector)}[1m30s]))"#)
        #expect(istio.latencyMilliseconds(version: "13", quantile: 0.95) ==
            "histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{\(selector)}[1m30s])))")
    }

    @Test func customTemplatesAreFilledAndLatencyConvertedFromSeconds() {
        let custom = queries(.custom(CustomMetricTemplates(
            requests: #"sum(increase(req{ns="{{namespace}}",app="{{ name }}",m="{{model}}",v="{{version}}"}[{{interval}}]))"#,
            successRate: nil,
            latency: #"histogram_quantile({{quantile}}, sum by (le) (rate(d_bucket{v="{{version}}"}[{{interval}}])))"#)),
            interval: .seconds(30))
        #expect(custom.requests(version: "1.2+b") == #"sum(increase(req{ns="ml-prod",app="fraud",m="fraud-detector",v="1.2+b"}[30s]))"#)
        #expect(custom.successRate(version: "1") == nil)
        #expect(custom.latencyMilliseconds(version: "7", quantile: 0.999) ==
            #"(histogram_quantile(0.999, sum by (le) (rate(d_bucket{v="7"}[30s])))) * 1000"#)
    }

    @Test func theGatesValueQueryFollowsItsKind() {
        let serin = queries(.serin)
        #expect(serin.value(of: .successRate(min: 0.9), version: "2") == serin.successRate(version: "2"))
        #expect(serin.value(of: .latency(quantile: 0.5, max: .seconds(1)), version: "2") == serin.latencyMilliseconds(version: "2", quantile: 0.5))
        #expect(serin.value(of: .prometheus(query: "up", min: 1, max: nil), version: "2") == nil)
    }

    @Test func theContextSuppliesNamesAndInterval() {
        let context = GateContext(key: DeploymentKey(namespace: "ml", name: "iris"), modelName: "iris-model", canaryVersion: "4",
                                  stableVersion: "3", canaryWeight: 10, stepIndex: 0, interval: .seconds(45))
        #expect(MetricQueries(source: .serin, context: context) ==
            MetricQueries(source: .serin, namespace: "ml", name: "iris", model: "iris-model", interval: .seconds(45)))
    }
}
