import Foundation
import SerinCore
import SerinGates
import TestSupport
import Testing

/// Metric gates against a real Prometheus scraping a test exporter once a second. Each test waits for the
/// samples it needs by polling Prometheus, then checks at that instant. Without /usr/bin/prometheus the tests fail
/// saying how to install it, rather than skip: `make test` installs it.
@Suite("Metric gates against a real Prometheus")
struct PrometheusGateTests {
    private let successRate = Gate(name: "successRate", check: .successRate(min: 0.99))
    private let latency = Gate(name: "latency", check: .latency(quantile: 0.99, max: SpecDuration(milliseconds: 250)))
    private let rollout = RolloutSpec(minRequests: 20)

    @Test func aHealthyCanaryPassesEveryGateInSpecOrder() async throws {
        try await withPrometheus { exporter, prometheus in
            for version in ["1", "2"] {
                exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: version,
                             traffic: .init(requests: 100, latency: fastLatency))
            }
            try await prometheus.waitForSamples(#"serin_router_requests_total{deployment="fraud"}"#)
            let results = await checker(prometheus).check([latency, successRate], rollout: rollout, context: gateContext())
            #expect(results.map(\.name) == ["latency", "successRate"])
            #expect(results.map(\.verdict) == [.pass, .pass], "\(results)")
            #expect(results.map(\.value) == [100, 1])
            #expect(results[1].query?.contains(#"version="2""#) == true)
        }
    }

    @Test func aCanaryWithFivePercentErrorsFailsA99PercentGate() async throws {
        try await withPrometheus { exporter, prometheus in
            exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: "2",
                         traffic: .init(requests: 100, errors: 5, latency: fastLatency))
            try await prometheus.waitForSamples(#"serin_router_requests_total{version="2"}"#)
            let result = try #require(await checker(prometheus).check([successRate], rollout: rollout, context: gateContext()).first)
            #expect(result.verdict == .fail)
            #expect(result.value == 0.95)
            #expect(result.threshold == ">= 0.99")
        }
    }

    @Test func aCanaryWithoutTrafficIsInconclusive() async throws {
        try await withPrometheus { exporter, prometheus in
            exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: "1",
                         traffic: .init(requests: 100, latency: fastLatency))
            try await prometheus.waitForSamples(#"serin_router_requests_total{version="1"}"#)
            let results = await checker(prometheus).check([successRate, latency], rollout: rollout, context: gateContext())
            #expect(results.map(\.verdict) == [.inconclusive, .inconclusive])
            #expect(results.map(\.value) == [nil, nil])
            #expect(results.allSatisfy { $0.message?.hasPrefix("no data: no request counts for version 2 over the last 1m") == true })
        }
    }

    @Test func aStoppedPrometheusIsInconclusive() async throws {
        try await withPrometheus { exporter, prometheus in
            prometheus.stop()
            #expect(!prometheus.isRunning)
            let result = try #require(await checker(prometheus).check([successRate], rollout: rollout, context: gateContext()).first)
            #expect(result.verdict == .inconclusive)
            #expect(result.message?.hasPrefix("Prometheus at \(prometheus.url) is unreachable:") == true, "\(result.message ?? "")")
        }
    }

    @Test func aLatencyGateFailsWhenTheCanarysP99ExceedsMax() async throws {
        try await withPrometheus { exporter, prometheus in
            exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: "2",
                         traffic: .init(requests: 100, latency: slowLatency))
            try await prometheus.waitForSamples(#"serin_router_request_duration_seconds_count{version="2"}"#)
            let result = try #require(await checker(prometheus).check([latency], rollout: rollout, context: gateContext()).first)
            #expect(result.verdict == .fail)
            #expect(result.value == 495)
            #expect(result.label == "latency p99")
            #expect(LedgerCommitMessage.gateLine(result).hasPrefix("latency p99: 495ms > 250ms fail"))
        }
    }

    @Test func aRelativeGateFailsWhenTheCanaryIsWorseThanStableByMoreThanAllowed() async throws {
        try await withPrometheus { exporter, prometheus in
            exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: "1",
                         traffic: .init(requests: 300, latency: fastLatency))
            exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: "2",
                         traffic: .init(requests: 100, errors: 3, latency: slowLatency))
            try await prometheus.waitForSamples(#"serin_router_requests_total{deployment="fraud"}"#)
            let gates = [
                Gate(name: "errors", check: .successRate(SuccessRateCheck(maxDropFromStable: 0.01))),
                Gate(name: "errorsLoose", check: .successRate(SuccessRateCheck(maxDropFromStable: 0.05))),
                Gate(name: "slower", check: .latency(LatencyCheck(quantile: 0.99, maxIncreaseOverStable: 0.5))),
            ]
            let results = await checker(prometheus).check(gates, rollout: rollout, context: gateContext())
            #expect(results.map(\.verdict) == [.fail, .pass, .fail], "\(results)")
            #expect(results[0].value == 0.97)
            #expect(results[0].threshold == ">= 0.99 (stable 1 - 0.01)")
            #expect(results[1].threshold == ">= 0.95 (stable 1 - 0.05)")
            #expect(results[2].threshold == "<= 150ms (stable 100ms + 50%)")
            #expect(results[2].value == 495)
        }
    }

    @Test func aFirstDeploymentPassesARelativeOnlyGateWithoutQuerying() async throws {
        // No Prometheus at all: the relative bound does not apply, so nothing is asked.
        let gate = Gate(name: "errors", check: .successRate(SuccessRateCheck(maxDropFromStable: 0.01)))
        let result = try #require(await checker(nil).check([gate], rollout: rollout, context: gateContext(stable: nil)).first)
        #expect(result.verdict == .pass)
        #expect(result.message == "no stable version to compare with (a first deployment): the relative bound does not apply")
    }

    @Test func aBadQueryReportsTheServersErrorText() async throws {
        try await withPrometheus { _, prometheus in
            let gate = Gate(name: "drift", check: .prometheus(query: "sum(rate(model_drift[1m])", min: nil, max: 0.2))
            let result = try #require(await checker(prometheus).check([gate], rollout: rollout, context: gateContext()).first)
            #expect(result.verdict == .inconclusive)
            let message = try #require(result.message)
            #expect(message.hasPrefix("configuration error: Prometheus refused the query as invalid (bad_data): "), "\(message)")
            #expect(message.contains("parse error"))
            #expect(message.contains("fix the query"))
            #expect(message.contains("5 inconclusive checks in a row fail the rollout"))
            #expect(result.query == "sum(rate(model_drift[1m])")
        }
    }

    @Test func aPrometheusGateHoldsItsQueryToItsBounds() async throws {
        try await withPrometheus { exporter, prometheus in
            exporter.set(.serin, namespace: "ml-prod", deployment: "fraud", model: "fraud-detector", version: "2",
                         traffic: .init(requests: 100, latency: fastLatency))
            try await prometheus.waitForSamples(#"serin_router_requests_total{version="2"}"#)
            let context = gateContext()
            let gates = [
                Gate(name: "instances", check: .prometheus(query: #"count(up{job="serin"})"#, min: 1, max: 1)),
                Gate(name: "tooMany", check: .prometheus(query: #"count(up)"#, min: nil, max: 2)),
                Gate(name: "nothing", check: .prometheus(query: #"up{job="absent"}"#, min: nil, max: 1)),
                Gate(name: "several", check: .prometheus(query: "up", min: 0, max: 1)),
            ]
            let results = await checker(prometheus).check(gates, rollout: rollout, context: context)
            #expect(results.map(\.verdict) == [.pass, .fail, .inconclusive, .inconclusive], "\(results)")
            #expect(results[1].value == 4, "one scrape job per exporter format")
            #expect(results[2].message == "no data: the query returned no series; check its metric names and labels")
            #expect(results[3].message?.hasPrefix("the query for the gate returned 4 series, expected one number: aggregate it") == true)
        }
    }

    @Test func mlserverCountsSuccessesAndFailuresEvenWhenOneSeriesIsMissing() async throws {
        try await withPrometheus { exporter, prometheus in
            let namespace = PrometheusServer.modelServerNamespace
            exporter.set(.mlserver, namespace: namespace, deployment: "iris", model: "iris", version: "4", traffic: .init(requests: 100, errors: 3))
            exporter.set(.mlserver, namespace: namespace, deployment: "iris", model: "iris", version: "3", traffic: .init(requests: 100))
            try await prometheus.waitForSamples(#"model_infer_request_success_total{model="iris"}"#)
            let rollout = RolloutSpec(minRequests: 20, metrics: .mlserver)
            let gate = Gate(name: "successRate", check: .successRate(SuccessRateCheck(min: 0.95, maxDropFromStable: 0.01)))
            let context = gateContext(namespace: namespace, name: "iris", model: "iris", canary: "4", stable: "3")
            let result = try #require(await checker(prometheus).check([gate], rollout: rollout, context: context).first)
            #expect(result.verdict == .fail, "\(result)")
            #expect(result.value == 0.97)
            #expect(result.threshold == ">= 0.99 (stable 1 - 0.01)")
        }
    }

    @Test func torchserveAttributesHostErrorsToTheVersionTheHostServes() async throws {
        try await withPrometheus { exporter, prometheus in
            let namespace = PrometheusServer.modelServerNamespace
            exporter.set(.torchserve, namespace: namespace, deployment: "resnet50", model: "resnet50", version: "2.1.0",
                         traffic: .init(requests: 100, errors: 5, hostname: "resnet50-v2-1-0-abc"))
            exporter.set(.torchserve, namespace: namespace, deployment: "resnet50", model: "resnet50", version: "2.0.0",
                         traffic: .init(requests: 100, hostname: "resnet50-v2-0-0-def"))
            try await prometheus.waitForSamples(#"ts_inference_requests_total{model_name="resnet50"}"#)
            let rollout = RolloutSpec(minRequests: 20, metrics: .torchserve)
            let gate = Gate(name: "successRate", check: .successRate(SuccessRateCheck(min: 0.9, maxDropFromStable: 0.02)))
            let context = gateContext(namespace: namespace, name: "resnet50", model: "resnet50", canary: "2.1.0", stable: "2.0.0")
            let result = try #require(await checker(prometheus).check([gate], rollout: rollout, context: context).first)
            #expect(result.verdict == .fail, "\(result)")
            #expect(result.value == 0.95)
            #expect(result.threshold == ">= 0.98 (stable 1 - 0.02)")
        }
    }

    @Test func everyBuiltInQueryIsPromQLPrometheusAccepts() async throws {
        try await withPrometheus { _, prometheus in
            let client = prometheus.client
            let custom = MetricsSource.custom(CustomMetricTemplates(
                requests: #"sum(increase(http_requests_total{namespace="{{namespace}}",app="{{name}}",version="{{version}}"}[{{interval}}]))"#,
                successRate: #"sum(rate(ok_total{version="{{version}}"}[{{interval}}])) / sum(rate(all_total{version="{{version}}"}[{{interval}}]))"#,
                latency: #"histogram_quantile({{quantile}}, sum by (le) (rate(d_bucket{model="{{model}}",version="{{version}}"}[{{interval}}])))"#))
            for source in [MetricsSource.serin, .mlserver, .torchserve, .istio, custom] {
                let queries = MetricQueries(source: source, context: gateContext(interval: SpecDuration(milliseconds: 90_500)))
                let all = [queries.requests(version: "2.1.0+b"), queries.successRate(version: "2"),
                           queries.latencyMilliseconds(version: "2", quantile: 0.999)].compactMap { $0 }
                for query in all {
                    do {
                        _ = try await client.query(query, at: Date().timeIntervalSince1970)
                    } catch {
                        Issue.record("\(source.name): \(error) for \(query)")
                    }
                }
            }
        }
    }
}
