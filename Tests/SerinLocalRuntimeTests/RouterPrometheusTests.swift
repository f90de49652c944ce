import Foundation
import Logging
import SerinCore
import SerinGates
import SerinRouter
import TestSupport
import Testing

/// The router's `/metrics`, scraped by a real Prometheus, is what the built-in PromQL gates query on Kubernetes:
/// here they read it for real serin-model-server versions behind the router, one of them failing half its requests.
@Suite("Router metrics through a real Prometheus")
struct RouterPrometheusTests {
    static let key = DeploymentKey(namespace: "ml", name: "iris")

    @Test func theBuiltInGatesReadEachVersionsSuccessRateAndLatencyFromTheRoutersSeries() async throws {
        let logs = try TemporaryDirectory(prefix: "serin-router-prometheus")
        defer { logs.remove() }
        let stable = try await Self.modelServer(version: "1", in: logs)
        defer { stable.process.stop() }
        let canary = try await Self.modelServer(version: "2", extraArguments: ["--error-rate", "0.5"], in: logs)
        defer { canary.process.stop() }
        let router = try await ModelRouter.start(RouterConfiguration(host: "127.0.0.1", port: 0), logger: Quiet.logger)
        do {
            try router.setRoutes([
                ModelRoute(key: Self.key, modelName: "iris", stable: Upstream(version: "1", port: Int(stable.port)),
                           canary: Upstream(version: "2", port: Int(canary.port)), canaryWeight: 50),
            ])
            let prometheus = try await PrometheusServer.start(scrapingRouterOn: router.port)
            defer { prometheus.stop() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await Self.load(routerPort: router.port) }
                // Both versions' answers, and the canary's failures, in enough scrapes for rates over the interval.
                try await prometheus.waitForSamples(#"serin_router_requests_total{namespace="ml",deployment="iris"}"#)
                try await prometheus.waitForSamples(#"serin_router_requests_total{version="2",code="500"}"#)
                // Enough requests to each version for the gates' minRequests, however slowly a loaded machine sends them.
                for version in ["1", "2"] {
                    try await prometheus.waitUntil(#"sum(increase(serin_router_requests_total{version="\#(version)"}[1m]))"#,
                                                   isAtLeast: 20)
                }
                group.cancelAll()
            }

            let checker = GateChecker(metrics: prometheus.client, webhooks: WebhookClient(logger: Quiet.logger), logger: Quiet.logger)
            let gates = [Gate(name: "successRate", check: .successRate(min: 0.95)),
                         Gate(name: "latency", check: .latency(quantile: 0.95, max: SpecDuration(milliseconds: 250)))]
            let rollout = RolloutSpec(minRequests: 10)
            let canaryResults = await checker.check(gates, rollout: rollout, context: Self.context(canary: "2", stable: "1"))
            let stableResults = await checker.check(gates, rollout: rollout, context: Self.context(canary: "1", stable: nil))

            #expect(canaryResults.map(\.verdict) == [.fail, .pass], "\(canaryResults)")
            let canaryRate = try #require(canaryResults[0].value)
            #expect(canaryRate > 0.2 && canaryRate < 0.8, "the canary fails half its requests: \(canaryRate)")
            #expect(canaryResults[0].query?.contains(#"version="2""#) == true)
            #expect(stableResults.map(\.verdict) == [.pass, .pass], "\(stableResults)")
            #expect(stableResults[0].value == 1)
            let p95 = try #require(stableResults[1].value)
            #expect(p95 > 0 && p95 <= 250, "p95 in milliseconds from the router's histogram: \(p95)")
        } catch {
            try await router.stop()
            throw error
        }
        try await router.stop()
    }

    static func context(canary: String, stable: String?) -> GateContext {
        GateContext(key: key, modelName: "iris", canaryVersion: canary, stableVersion: stable, canaryWeight: 50,
                    stepIndex: 0, interval: .minutes(1))
    }

    static func modelServer(version: String, extraArguments: [String] = [], in logs: TemporaryDirectory) async throws
        -> (port: UInt16, process: ServerProcess)
    {
        try await ServerProcess.startListening(name: "serin-model-server v\(version)") { port in
            try ServerProcess.launch(
                name: "serin-model-server v\(version)", executable: Built.modelServer,
                arguments: ["--model", Built.linearModel, "--port", "\(port)", "--name", "iris", "--version", version]
                    + extraArguments,
                environment: ["PATH": "/usr/bin:/bin"], logFile: logs.url.appendingPathComponent("v\(version)-\(port).log"))
        }
    }

    /// Inference requests through the router, one every 20 ms, until cancelled.
    static func load(routerPort: Int) async {
        while !Task.isCancelled {
            _ = try? await infer(port: routerPort, timeout: .seconds(2))
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
