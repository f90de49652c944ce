/// Every metric Serin exposes at `/metrics`, in one place. Series of one model carry `namespace` and
/// `deployment`, as the router's `serin_router_*` series do, so the two join in PromQL.
///
/// | Name | Type | Labels |
/// |---|---|---|
/// | `serin_reconciles_total` | counter | namespace, deployment |
/// | `serin_reconcile_errors_total` | counter | namespace, deployment |
/// | `serin_reconcile_duration_seconds` | histogram | namespace, deployment |
/// | `serin_git_sync_duration_seconds` | histogram | result |
/// | `serin_git_sync_last_success_timestamp_seconds` | gauge | |
/// | `serin_git_sync_failures_total` | counter | reason (`fetch`, `invalid`) |
/// | `serin_ledger_commits_total` | counter | |
/// | `serin_ledger_push_retries_total` | counter | |
/// | `serin_rollout_phase` | gauge | namespace, deployment, phase (1 for the current phase, 0 for the others) |
/// | `serin_rollout_canary_weight_ratio` | gauge | namespace, deployment |
/// | `serin_gate_verdicts_total` | counter | namespace, deployment, gate, result (`pass`, `fail`, `inconclusive`) |
/// | `serin_work_queue_depth` | gauge | |
/// | `serin_webhook_requests_total` | counter | endpoint (`github`, `gitlab`, `generic`), result (`WebhookResult`) |
extension SerinMetrics {
    /// Reconciles take a ledger read, maybe gate queries and a Git push: milliseconds to a minute.
    static let reconcileBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]
    /// A sync is a fetch from a remote: tens of milliseconds to Git's 60 s timeout and beyond.
    static let gitSyncBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
    ]

    public static let reconciles = MetricDefinition(
        name: "serin_reconciles_total", kind: .counter,
        help: "Reconcile passes over one model, whether they succeeded or not.",
        labels: ["namespace", "deployment"])
    public static let reconcileErrors = MetricDefinition(
        name: "serin_reconcile_errors_total", kind: .counter,
        help: "Reconcile passes over one model that failed (runtime or ledger) and are retried with backoff.",
        labels: ["namespace", "deployment"])
    public static let reconcileDuration = MetricDefinition(
        name: "serin_reconcile_duration_seconds", kind: .histogram,
        help: "Time one reconcile pass over one model took, gate measurements and ledger push included.",
        labels: ["namespace", "deployment"], buckets: reconcileBuckets)
    public static let gitSyncDuration = MetricDefinition(
        name: "serin_git_sync_duration_seconds", kind: .histogram,
        help: "Time one sync of the desired branch took, by result (applied, unchanged, invalid, failed).",
        labels: ["result"], buckets: gitSyncBuckets)
    public static let gitSyncLastSuccess = MetricDefinition(
        name: "serin_git_sync_last_success_timestamp_seconds", kind: .gauge,
        help: "Unix time of the last sync that read the desired branch (applied or unchanged); absent before the first.")
    public static let gitSyncFailures = MetricDefinition(
        name: "serin_git_sync_failures_total", kind: .counter,
        help: "Syncs that left the last good state in force: reason fetch (Git unreachable) or invalid (deployments do not validate).",
        labels: ["reason"])
    public static let ledgerCommits = MetricDefinition(
        name: "serin_ledger_commits_total", kind: .counter,
        help: "Rollout transitions committed and pushed to the ledger's status branch.")
    public static let ledgerPushRetries = MetricDefinition(
        name: "serin_ledger_push_retries_total", kind: .counter,
        help: "Ledger pushes rejected because the status branch moved, then rebased and retried.")
    public static let rolloutPhase = MetricDefinition(
        name: "serin_rollout_phase", kind: .gauge,
        help: "1 for the phase a model's rollout is in, 0 for every other phase.",
        labels: ["namespace", "deployment", "phase"])
    public static let canaryWeight = MetricDefinition(
        name: "serin_rollout_canary_weight_ratio", kind: .gauge,
        help: "Share of a model's traffic sent to its canary, from 0 to 1.",
        labels: ["namespace", "deployment"])
    public static let gateVerdicts = MetricDefinition(
        name: "serin_gate_verdicts_total", kind: .counter,
        help: "Gate checks of a model's canary, by gate and verdict (pass, fail, inconclusive).",
        labels: ["namespace", "deployment", "gate", "result"])
    public static let workQueueDepth = MetricDefinition(
        name: "serin_work_queue_depth", kind: .gauge,
        help: "Models waiting in the work queue for a worker (not delayed, not being reconciled).")
    public static let webhookRequests = MetricDefinition(
        name: "serin_webhook_requests_total", kind: .counter,
        help: "Webhook requests by endpoint and result (triggered, ignored, ping, unauthorized, disabled, too_large, bad_request, method_not_allowed).",
        labels: ["endpoint", "result"])

    /// Every definition, for the factory (help texts, buckets) and for documentation.
    public static let definitions: [MetricDefinition] = [
        reconciles, reconcileErrors, reconcileDuration, gitSyncDuration, gitSyncLastSuccess, gitSyncFailures,
        ledgerCommits, ledgerPushRetries, rolloutPhase, canaryWeight, gateVerdicts, workQueueDepth, webhookRequests,
    ]
}
