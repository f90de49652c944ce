import Foundation
import Logging
import SerinCore
import SerinGates
import SerinOperator
import SerinRouter

extension ModelRouter: LocalTrafficRouting {
    public func route(_ routes: [LocalRoute]) async {
        let table = routes.map { route in
            ModelRoute(key: route.key, modelName: route.modelName,
                       stable: route.stable.map { Upstream(version: $0.version, port: $0.port) },
                       canary: route.canary.map { Upstream(version: $0.version, port: $0.port) },
                       canaryWeight: route.canaryWeight)
        }
        do {
            try setRoutes(table)
        } catch {
            Logger(label: "serin.local").error("the router refused the routes", metadata: ["error": "\(error)"])
        }
    }

    public func drain(_ key: DeploymentKey, version: String, timeout: Duration) async {
        _ = await drain(key, versions: [version], timeout: timeout)
    }
}

/// Gates on the local runtime: `successRate` and `latency` gates of the default `serin` source read the router's
/// own counters, so no Prometheus is needed on one machine; every other gate (PromQL, webhooks, other sources) goes
/// to the `GateChecker`.
///
/// A check's window is the traffic since the previous check of the same version (or since the version was first
/// routed), so each interval is judged on its own requests, like PromQL's `increase` over the interval.
public actor RouterGateMeasurer: GateMeasuring {
    private let router: ModelRouter
    private let checker: GateChecker
    private var baselines: [DeploymentKey: [String: VersionTraffic]] = [:]

    public init(router: ModelRouter, checker: GateChecker) {
        self.router = router
        self.checker = checker
    }

    public func measure(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) async -> [GateResult] {
        let traffic = router.traffic(for: context.key)
        let before = baselines[context.key] ?? [:]
        baselines[context.key] = traffic
        func window(_ version: String?) -> VersionTraffic? {
            guard let version, let now = traffic[version] else { return nil }
            return now.since(before[version] ?? VersionTraffic())
        }
        // The router counts each upstream under the name the local runtime routes it by: its version, or
        // `version@digest` for a second revision of one version (a new image, same version). Read the names from the
        // route; a canary that is not routed yet has no traffic of its own, even when the stable shares its version.
        let route = router.routes.first { $0.key == context.key }
        let canary = window(route?.canary?.version ?? (context.canaryVersion == context.stableVersion ? nil : context.canaryVersion))
        let stable = window(route?.stable?.version ?? context.stableVersion)
        var results: [GateResult] = []
        for gate in gates {
            guard rollout.metrics == .serin else {
                results.append(await checker.check(gate, rollout: rollout, context: context, at: Date().timeIntervalSince1970))
                continue
            }
            let measurement: GateMeasurement
            switch gate.check {
            case .successRate:
                measurement = GateMeasurement(value: canary?.successRate, requests: canary.map { Double($0.requests) },
                                              stableValue: stable?.successRate, stableRequests: stable.map { Double($0.requests) },
                                              detail: "from Serin's router")
            case .latency(let latency):
                let milliseconds = { (traffic: VersionTraffic?) in traffic?.latency.quantile(latency.quantile).map { $0 * 1_000 } }
                measurement = GateMeasurement(value: milliseconds(canary), requests: canary.map { Double($0.requests) },
                                              stableValue: milliseconds(stable), stableRequests: stable.map { Double($0.requests) },
                                              detail: "from Serin's router")
            case .prometheus, .webhook:
                results.append(await checker.check(gate, rollout: rollout, context: context, at: Date().timeIntervalSince1970))
                continue
            }
            results.append(GateVerdict.evaluate(gate, rollout: rollout, context: context, measurement: measurement))
        }
        return results
    }
}
