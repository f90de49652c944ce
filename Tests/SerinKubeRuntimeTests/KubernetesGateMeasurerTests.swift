import Logging
import SerinCore
import SerinGates
import SerinKubeRuntime
import Testing

@Suite("Gates on Kubernetes")
struct KubernetesGateMeasurerTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let context = GateContext(key: DeploymentKey(namespace: "ml", name: "iris"), modelName: "iris", canaryVersion: "2",
                                     stableVersion: "1", canaryWeight: 50, stepIndex: 0, interval: .minutes(1))
    static let gate = Gate(name: "successRate", check: .successRate(SuccessRateCheck(min: 0.99)))

    func measurer(_ replacement: MetricsSource?) -> KubernetesGateMeasurer {
        KubernetesGateMeasurer(checker: GateChecker(metrics: nil, webhooks: WebhookClient(logger: Self.quiet), logger: Self.quiet),
                               replacement: replacement)
    }

    @Test func theRouterSourceIsInconclusiveOnKubernetesAndSaysWhatToSet() async {
        let results = await measurer(nil).measure([Self.gate], rollout: RolloutSpec(gates: [Self.gate]), context: Self.context)
        #expect(results.map(\.verdict) == [.inconclusive])
        #expect(results.first?.message?.contains("set spec.rollout.metrics.source") == true)
    }

    @Test func aDefaultSourceReplacesTheRouterSource() async {
        // Without a Prometheus the replaced source is inconclusive too, but for that reason: it was asked of Prometheus.
        let results = await measurer(.istio).measure([Self.gate], rollout: RolloutSpec(gates: [Self.gate]), context: Self.context)
        #expect(results.map(\.verdict) == [.inconclusive])
        #expect(results.first?.message?.contains("no Prometheus is configured") == true)
    }
}
