import SerinCore

/// Where models run: Kubernetes workloads, or local processes behind Serin's router. The operator's only view of
/// them, so the same loop drives both.
///
/// Every call is idempotent and level-based: `perform` makes the runtime match the actions whatever it held before,
/// and makes no change (no API write, no restart) when it already matches, so a steady state costs nothing.
public protocol ModelRuntime: Sendable {
    /// The live workloads of one model, by revision digest (`ServingRevision.digest`).
    func workloads(of key: DeploymentKey) async throws -> [String: WorkloadObservation]

    /// Performs the rollout machine's actions for one model, in order. A `deploy` of a revision the runtime has no
    /// workload for creates it from `desired` (which the machine only asks for the desired revision); other
    /// revisions' workloads are known to the runtime by their recorded spec. `desired` is nil when the model is
    /// being removed.
    func perform(_ actions: [RolloutAction], key: DeploymentKey, desired: ModelDeployment?) async throws

    /// Every model with workloads in this runtime, so that models removed from Git while Serin was stopped are still
    /// cleaned up.
    func deployedModels() async throws -> Set<DeploymentKey>

    /// Models whose workloads changed on their own: became ready, crashed, were edited by someone else. The loop
    /// reconciles each one it hears of; the stream ends when the runtime stops.
    func changes() async -> AsyncStream<DeploymentKey>

    /// A rollout transition was recorded in the ledger; a runtime with its own record of events (Kubernetes Events)
    /// writes it there too. Best effort: a failure is logged, never thrown.
    func recorded(_ transition: RolloutStatus) async
}

extension ModelRuntime {
    public func recorded(_ transition: RolloutStatus) async {}
}

/// Measures a rollout's gates: Prometheus queries, webhooks, the router's own counters.
public protocol GateMeasuring: Sendable {
    /// One result per gate, in the spec's order. Never throws: a gate that cannot be measured is inconclusive.
    func measure(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) async -> [GateResult]
}
