import Foundation
import SerinCore
import SerinGit
import SerinKube
import SerinKubeRuntime
import SerinOperator
import TestSupport
import Testing

/// The operator loop, reading a real Git remote and recording its ledger there, driving the Kubernetes runtime
/// against the emulator: what `serin run` does on a cluster.
@Suite("The operator on Kubernetes")
struct EndToEndTests {
    /// Gates never pass or fail here: the spec has none, so readiness alone decides each step.
    struct NoGates: GateMeasuring {
        func measure(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) async -> [GateResult] {
            gates.map { GateResult(gate: $0, verdict: .pass, value: 1) }
        }
    }

    static func document(_ version: String) -> String {
        """
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: iris, namespace: ml}
        spec:
          model: {version: "\(version)", uri: "s3://models/iris/\(version)"}
          runtime: {image: seldonio/mlserver:1.7.1}
          replicas: 2
          traffic: {gatewayAPI: {route: models}}
          rollout: {steps: [10, 50, 100], interval: 1s}

        """
    }

    /// The operator loop over `remote`, with the runtime of `harness`.
    static func loop(_ remote: DeploymentsRemote, _ harness: RuntimeHarness) async throws -> (ReconcileLoop<ContinuousClock>, LedgerReader) {
        let (ledger, reader) = try await remote.ledger()
        let reconciler = ModelReconciler(runtime: harness.runtime, gates: NoGates(), ledger: ledger, now: {
            Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000))
        }, logger: Quiet.logger)
        let source = DesiredStateSource(mirror: try await remote.mirror("source-\(UUID().uuidString)"),
                                        configuration: .init(branch: "main", root: "deployments"), logger: Quiet.logger)
        let loop = ReconcileLoop(source: source, reconciler: reconciler, clock: ContinuousClock(),
                                 configuration: .init(workers: 2, schedule: SyncSchedule(interval: .seconds(3600))),
                                 logger: Quiet.logger)
        return (loop, reader)
    }

    @Test func aFirstDeployThenACanaryThroughEveryStepWithTheHTTPRouteFollowing() async throws {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", Self.document("1"), message: "deploy iris v1")
        try await RuntimeHarness.with { harness in
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("route.yaml", TrafficTests.httpRoute), "--validate=false"])
            let (loop, reader) = try await Self.loop(remote, harness)
            let phases: () async throws -> [String] = {
                try await reader.history(of: RuntimeHarness.iris).map { "\($0.phase.rawValue) \($0.weight)" }
            }
            let route = RouteLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await loop.run() }
                group.addTask { try await route.follow(harness.client) }
                defer { group.cancelAll() }

                #expect(await eventually(timeout: .seconds(60)) { try await phases().last == "Succeeded 100" })
                let v1 = ObjectNames.revision(RuntimeHarness.iris, try model(Self.document("1")).revision)
                #expect(await eventually { await route.last == ["\(v1)=100"] })

                try await remote.merge("deployments/iris.yaml", Self.document("2"), message: "iris v2")
                loop.syncNow()
                #expect(await eventually(timeout: .seconds(90)) {
                    let history = try await phases()
                    return history.count > 3 && history.last == "Succeeded 100"
                })
                #expect(try await phases() == [
                    "Pending 0", "Promoting 100", "Succeeded 100",
                    "Pending 0", "Progressing 10", "Progressing 50", "Progressing 100", "Promoting 100", "Succeeded 100",
                ])
                let v2 = ObjectNames.revision(RuntimeHarness.iris, try model(Self.document("2")).revision)
                // Every weight the route held, in order: the canary's steps, then the promoted revision alone.
                #expect(await eventually { await route.last == ["\(v2)=100"] })
                let states = await route.states
                let walk = states.drop { $0 != ["\(v1)=100"] }
                #expect(Array(walk) == [
                    ["\(v1)=100"], ["\(v1)=100", "\(v2)=0"], ["\(v1)=90", "\(v2)=10"], ["\(v1)=50", "\(v2)=50"],
                    ["\(v1)=0", "\(v2)=100"], ["\(v2)=100"],
                ], "\(states)")
                #expect(await eventually { try await harness.get(.deployments, v1) == nil })
                #expect(try await harness.get(.deployments, v2)?[path: "spec", "replicas"] == 2)

                // At rest, resyncs reconcile the model again and again, and nothing is written.
                #expect(await eventually { await loop.queue.depth == 0 })
                try await Task.sleep(for: .milliseconds(500))
                let mark = await harness.requestCount()
                for _ in 0..<3 {
                    loop.syncNow()
                    try await Task.sleep(for: .milliseconds(300))
                }
                #expect(await eventually { await loop.queue.depth == 0 })
                let writes = await harness.writes(since: mark)
                #expect(writes.isEmpty, "\(writes.map { "\($0.method) \($0.path)" })")
                #expect(try await phases().count == 9)
            }
        }
    }

    @Test func aCanaryPastItsProgressDeadlineRollsBackAndTheRouteReturnsToStable() async throws {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", Self.document("1"), message: "deploy iris v1")
        let v1 = ObjectNames.revision(RuntimeHarness.iris, try model(Self.document("1")).revision)
        let v2 = ObjectNames.revision(RuntimeHarness.iris, try model(Self.document("2")).revision)
        try await RuntimeHarness.with(beforeStart: { emulator, _ in
            await emulator.setDeploymentBehaviour(namespace: "ml", name: v2, .exceedsProgressDeadline)
        }) { harness in
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("route.yaml", TrafficTests.httpRoute), "--validate=false"])
            let (loop, reader) = try await Self.loop(remote, harness)
            let phases: () async throws -> [String] = {
                try await reader.history(of: RuntimeHarness.iris).map { "\($0.phase.rawValue) \($0.weight)" }
            }
            let route = RouteLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await loop.run() }
                group.addTask { try await route.follow(harness.client) }
                defer { group.cancelAll() }
                #expect(await eventually(timeout: .seconds(60)) { try await phases().last == "Succeeded 100" })
                try await remote.merge("deployments/iris.yaml", Self.document("2"), message: "iris v2")
                loop.syncNow()
                #expect(await eventually(timeout: .seconds(60)) { try await phases().last == "Failed 0" })
                #expect(try await phases().suffix(3) == ["Pending 0", "RollingBack 0", "Failed 0"])
                let reason = try await reader.history(of: RuntimeHarness.iris).last { $0.phase == .RollingBack }?.message
                #expect(reason?.contains("exceeded its progress deadline") == true, "\(reason ?? "")")
                #expect(await eventually {
                    let deployment = try await harness.get(.deployments, v2)
                    let service = try await harness.get(.services, v2)
                    return deployment == nil && service == nil
                })
                #expect(await route.last == ["\(v1)=100"])
                #expect(try await harness.get(.deployments, v1)?[path: "spec", "replicas"] == 2)

                // Each transition is an Event on the stable Service too, as kubectl shows it.
                let events = try await harness.kubectl.succeed(["get", "events", "-n", RuntimeHarness.namespace,
                                                                "--field-selector", "involvedObject.name=iris", "-o", "json"])
                let reasons = try JSONValue(parsing: Array(events.utf8))["items"]?.arrayValue?.compactMap { $0["reason"]?.stringValue } ?? []
                // Listed by name, not time: count them instead. v1: Pending, Promoting, Succeeded; v2: Pending,
                // RollingBack, Failed.
                #expect(reasons.filter { $0.hasPrefix("Rollout") }.sorted() ==
                        ["RolloutFailed", "RolloutPending", "RolloutPending", "RolloutPromoting", "RolloutRollingBack", "RolloutSucceeded"])
                let failed = try JSONValue(parsing: Array(events.utf8))["items"]?.arrayValue?.last { $0["reason"] == "RolloutFailed" }
                #expect(failed?["type"] == "Warning")
            }
        }
    }
}

/// The weights of the iris rule of the `models` HTTPRoute, each time they changed, read from a watch.
actor RouteLog {
    private(set) var states: [[String]] = []
    var last: [String]? { states.last }

    func record(_ route: JSONValue) {
        let backends = route[path: "spec", "rules"]?.arrayValue?.dropFirst().first?["backendRefs"]?.arrayValue ?? []
        let state = backends.map { "\($0["name"]?.stringValue ?? "?")=\($0["weight"]?.integerValue.map(String.init) ?? "-")" }
        if state != states.last { states.append(state) }
    }

    func follow(_ client: KubeClient) async throws {
        let stream = try await client.watch(.httpRoutes, namespace: RuntimeHarness.namespace,
                                            options: WatchOptions(fieldSelector: "metadata.name=models", timeoutSeconds: 600))
        for try await event in stream where event.type == .added || event.type == .modified {
            record(event.object)
        }
    }
}
