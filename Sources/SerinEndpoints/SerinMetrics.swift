import CoreMetrics
import Prometheus
import SerinCore

/// Serin's metrics: what the operator records and `GET /metrics` serves. The names and labels are defined in
/// `SerinMetrics+Definitions.swift`; the functions here are the only way to record them, so a series can never
/// appear with a misspelt name or a missing label.
///
/// Recording goes through the swift-metrics API with this instance's own factory, never the process-wide
/// `MetricsSystem`: two instances (two tests, say) never share counts, and nothing has to be bootstrapped first.
/// Every function is cheap and thread-safe; call it from anywhere.
public final class SerinMetrics: Sendable {
    /// The Prometheus content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over `registry`. Bootstrapping `MetricsSystem` with it puts other libraries'
    /// swift-metrics on `/metrics` too.
    public let factory: SerinMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = SerinMetricsFactory(registry: registry)
        // Series without per-model labels exist from the start, at zero, so `rate()` and alerts see them before
        // the first event instead of a gap.
        for result in GitSyncResult.allCases {
            _ = timer(Self.gitSyncDuration, result.rawValue)
        }
        for reason in ["fetch", "invalid"] {
            _ = counter(Self.gitSyncFailures, reason)
        }
        _ = counter(Self.ledgerCommits)
        _ = counter(Self.ledgerPushRetries)
        meter(Self.workQueueDepth).set(0)
    }

    // MARK: Reconciles

    /// One reconcile pass over `key` ended, after `duration`.
    public func recordReconcile(of key: DeploymentKey, duration: Duration, succeeded: Bool) {
        counter(Self.reconciles, key.namespace, key.name).increment()
        if !succeeded { counter(Self.reconcileErrors, key.namespace, key.name).increment() }
        timer(Self.reconcileDuration, key.namespace, key.name).recordNanoseconds(duration.clampedNanoseconds)
    }

    // MARK: Git sync

    /// One sync of the desired branch ended with `result` at `finishedAt`, after `duration`.
    public func recordGitSync(_ result: GitSyncResult, duration: Duration, finishedAt: Timestamp) {
        timer(Self.gitSyncDuration, result.rawValue).recordNanoseconds(duration.clampedNanoseconds)
        switch result {
        case .applied, .unchanged:
            meter(Self.gitSyncLastSuccess).set(Double(finishedAt.millisecondsSinceEpoch) / 1_000)
        case .invalid:
            counter(Self.gitSyncFailures, "invalid").increment()
        case .failed:
            counter(Self.gitSyncFailures, "fetch").increment()
        }
    }

    // MARK: Ledger

    /// A transition was committed and pushed to the status branch.
    public func recordLedgerCommit() {
        counter(Self.ledgerCommits).increment()
    }

    /// A ledger push was rejected because the status branch moved, and is retried after a rebase.
    public func recordLedgerPushRetry() {
        counter(Self.ledgerPushRetries).increment()
    }

    // MARK: Rollouts

    /// `key`'s rollout is in `phase`: its series for `phase` becomes 1, those of every other phase 0, so
    /// `serin_rollout_phase == 1` selects each model's current phase.
    public func setRolloutPhase(_ phase: RolloutPhase, of key: DeploymentKey) {
        for each in RolloutPhase.allCases {
            meter(Self.rolloutPhase, key.namespace, key.name, each.rawValue).set(each == phase ? 1 : 0)
        }
    }

    /// The canary of `key` takes `percent` of its traffic (0 when there is no canary).
    public func setCanaryWeight(_ percent: Int, of key: DeploymentKey) {
        meter(Self.canaryWeight, key.namespace, key.name).set(Double(min(max(percent, 0), 100)) / 100)
    }

    /// Records a rollout status's phase and weight at once.
    public func recordRolloutStatus(_ status: RolloutStatus) {
        setRolloutPhase(status.phase, of: status.key)
        setCanaryWeight(status.canaryWeight, of: status.key)
    }

    /// Drops `key`'s phase and weight series: the model is gone from Git and from the ledger, and a gauge left
    /// behind would claim it still rolls out. Its counters stay, as counters must not go back.
    public func forgetRollout(of key: DeploymentKey) {
        for phase in RolloutPhase.allCases {
            meter(Self.rolloutPhase, key.namespace, key.name, phase.rawValue).destroy()
        }
        meter(Self.canaryWeight, key.namespace, key.name).destroy()
    }

    // MARK: Gates

    /// One gate of `key`'s canary was judged.
    public func recordGateVerdict(_ verdict: GateResult.Verdict, gate: String, of key: DeploymentKey) {
        counter(Self.gateVerdicts, key.namespace, key.name, gate, verdict.rawValue).increment()
    }

    /// Every result of one gate check.
    public func recordGateResults(_ results: [GateResult], of key: DeploymentKey) {
        for result in results { recordGateVerdict(result.verdict, gate: result.name, of: key) }
    }

    // MARK: Work queue

    /// Models waiting in the work queue now.
    public func setWorkQueueDepth(_ depth: Int) {
        meter(Self.workQueueDepth).set(max(0, depth))
    }

    // MARK: Webhooks

    /// A webhook request to `endpoint` ended with `result`.
    public func recordWebhookRequest(_ endpoint: WebhookEndpoint, result: WebhookResult) {
        counter(Self.webhookRequests, endpoint.rawValue, result.rawValue).increment()
    }

    // MARK: Exposition

    /// Every series in Prometheus's text format (version 0.0.4): the body of `GET /metrics`.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    // MARK: Helpers

    private func counter(_ definition: MetricDefinition, _ values: String...) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: definition.name, dimensions: Array(zip(definition.labels, values)), factory: factory)
    }

    private func meter(_ definition: MetricDefinition, _ values: String...) -> Meter {
        Meter(label: definition.name, dimensions: Array(zip(definition.labels, values)), factory: factory)
    }

    private func timer(_ definition: MetricDefinition, _ values: String...) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: definition.name, dimensions: Array(zip(definition.labels, values)), factory: factory)
    }
}
