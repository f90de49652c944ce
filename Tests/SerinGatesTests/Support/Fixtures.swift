import Logging
import SerinCore
import SerinGates
import TestSupport

/// What a check is about, as the rollout machine would describe it.
func gateContext(namespace: String = "ml-prod", name: String = "fraud", model: String = "fraud-detector", canary: String = "2",
                 stable: String? = "1", weight: Int = 25, step: Int? = 1, interval: SpecDuration = .minutes(1)) -> GateContext {
    GateContext(key: DeploymentKey(namespace: namespace, name: name), modelName: model, canaryVersion: canary,
                stableVersion: stable, canaryWeight: weight, stepIndex: step, interval: interval)
}

/// Warnings only: every gate result is logged at info, which would drown the test output.
let testLogger: Logger = {
    var logger = Logger(label: "test.gates")
    logger.logLevel = .warning
    return logger
}()

/// Fast answers: 90 of 100 within 50ms, 99 within 100ms, all within 250ms (p99 = 100ms).
let fastLatency: [(le: Double, count: Int)] = [(0.05, 90), (0.1, 99), (0.25, 100), (0.5, 100), (1, 100)]
/// Slow answers: half within 250ms, all within 500ms (p99 = 495ms).
let slowLatency: [(le: Double, count: Int)] = [(0.05, 0), (0.1, 0), (0.25, 50), (0.5, 100), (1, 100)]

/// Starts an exporter and a Prometheus scraping it, runs `body`, and stops both whatever happens.
func withPrometheus(_ body: (MetricsExporter, PrometheusServer) async throws -> Void) async throws {
    let exporter = try MetricsExporter()
    defer { exporter.stop() }
    let prometheus = try await PrometheusServer.start(scraping: exporter)
    defer { prometheus.stop() }
    try await body(exporter, prometheus)
}

func checker(_ prometheus: PrometheusServer?) -> GateChecker {
    GateChecker(metrics: prometheus?.client, webhooks: WebhookClient(logger: testLogger), logger: testLogger)
}
