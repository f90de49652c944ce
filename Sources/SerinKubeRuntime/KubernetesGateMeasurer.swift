import SerinCore
import SerinGates
import SerinOperator

/// Gates on Kubernetes, where Serin's router (the `serin` metrics source, and the default) does not run: the
/// successRate and latency gates of such a spec use `--default-metrics-source` instead when one is given, and are
/// otherwise inconclusive with a message saying what to set, rather than querying series that cannot exist.
public struct KubernetesGateMeasurer: GateMeasuring {
    public let checker: GateChecker
    /// Used in place of `serin`; nil leaves those gates inconclusive with an explanation.
    public let replacement: MetricsSource?

    public init(checker: GateChecker, replacement: MetricsSource?) {
        self.checker = checker
        self.replacement = replacement
    }

    /// The sources `--default-metrics-source` accepts.
    public static let names: [String: MetricsSource] = ["istio": .istio, "mlserver": .mlserver, "torchserve": .torchserve]

    public func measure(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) async -> [GateResult] {
        guard rollout.metrics == .serin else { return await checker.check(gates, rollout: rollout, context: context) }
        if let replacement {
            var replaced = rollout
            replaced.metrics = replacement
            return await checker.check(gates, rollout: replaced, context: context)
        }
        var results: [GateResult] = []
        for gate in gates {
            switch gate.check {
            case .successRate, .latency:
                let measurement = GateMeasurement(problem: "the metrics source is serin, Serin's own router, which runs only on the local runtime; on Kubernetes set spec.rollout.metrics.source (istio, mlserver, torchserve or custom templates), or start serin run with --default-metrics-source")
                results.append(GateVerdict.evaluate(gate, rollout: rollout, context: context, measurement: measurement))
            case .prometheus, .webhook:
                results.append(contentsOf: await checker.check([gate], rollout: rollout, context: context))
            }
        }
        return results
    }
}
