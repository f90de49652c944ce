import Foundation
import Logging
import SerinCore
import SerinGit
import SerinOperator
import TestSupport

enum Quiet {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

func irisDocument(version: String, gates: String = "[{successRate: {min: 0.99}}]", steps: String = "[10, 50, 100]") -> String {
    """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: iris, namespace: ml}
    spec:
      model: {version: "\(version)", uri: "s3://models/iris/\(version)"}
      runtime: {image: seldonio/mlserver:1.7.1}
      replicas: 2
      rollout:
        steps: \(steps)
        interval: 10s
        gates: \(gates)

    """
}

/// A runtime that keeps its workloads in memory and reports each ready as soon as it exists, unless told otherwise:
/// enough to drive the operator loop; the real runtimes have their own tests against real processes and the API.
actor SimulatedRuntime: ModelRuntime {
    struct Workload { var revision: ServingRevision; var replicas: Int }
    private(set) var workloads: [DeploymentKey: [String: Workload]] = [:]
    private(set) var traffic: [DeploymentKey: TrafficSplit] = [:]
    /// Calls to `perform` that changed something: a steady state must make none.
    private(set) var changeCount = 0
    var notReady: Set<String> = []
    private let (events, eventSink) = AsyncStream<DeploymentKey>.makeStream()
    /// Logs "runtime changed" for each call to `perform` that changed something, as a real runtime logs its actions.
    private let logger: Logger

    init(logger: Logger = Quiet.logger) {
        self.logger = logger
    }

    func changes() -> AsyncStream<DeploymentKey> { events }

    func workloads(of key: DeploymentKey) -> [String: WorkloadObservation] {
        (workloads[key] ?? [:]).mapValues { WorkloadObservation(isReady: $0.replicas > 0 && !notReady.contains($0.revision.version)) }
    }

    /// Calls to `perform` still to fail before doing anything, as a runtime that cannot start a model server does.
    private var failuresToCome = 0

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the simulated runtime failed on purpose" }
    }

    func failNext(_ calls: Int) { failuresToCome = calls }

    func perform(_ actions: [RolloutAction], key: DeploymentKey, desired: ModelDeployment?) throws {
        if failuresToCome > 0 {
            failuresToCome -= 1
            throw Failure()
        }
        let before = (workloads[key].map { $0.mapValues { "\($0.revision)=\($0.replicas)" } }, traffic[key])
        for action in actions {
            switch action {
            case .deploy(let revision, let replicas): workloads[key, default: [:]][revision.digest] = Workload(revision: revision, replicas: replicas)
            case .scale(let revision, let replicas): workloads[key]?[revision.digest]?.replicas = replicas
            case .remove(let revision): workloads[key]?[revision.digest] = nil
            case .route(let split): traffic[key] = split
            }
        }
        if workloads[key]?.isEmpty == true { workloads[key] = nil }
        let after = (workloads[key].map { $0.mapValues { "\($0.revision)=\($0.replicas)" } }, traffic[key])
        if before.0 != after.0 || before.1 != after.1 {
            changeCount += 1
            logger.info("runtime changed")
        }
        // A new workload becomes ready at once here; say so, as a real runtime reports readiness.
        if before.0 != after.0 { eventSink.yield(key) }
    }

    func deployedModels() -> Set<DeploymentKey> { Set(workloads.keys) }

    func versions(of key: DeploymentKey) -> [String] { (workloads[key] ?? [:]).values.map(\.revision.version).sorted() }

    func setNotReady(_ versions: Set<String>) { notReady = versions }
}

/// Gates whose verdicts a test sets, by gate name (pass when unset).
actor ScriptedGates: GateMeasuring {
    var verdicts: [String: GateResult.Verdict] = [:]
    private(set) var checks: [GateContext] = []

    func set(_ name: String, _ verdict: GateResult.Verdict) { verdicts[name] = verdict }

    func measure(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) -> [GateResult] {
        checks.append(context)
        return gates.map { gate in
            let verdict = verdicts[gate.name] ?? .pass
            return GateResult(gate: gate, verdict: verdict, value: verdict == .pass ? 0.999 : (verdict == .fail ? 0.8 : nil))
        }
    }
}
