import CoreMetrics
import SerinCore
import SerinEndpoints
import Testing

@Suite("SerinMetrics")
struct SerinMetricsTests {
    static let iris = DeploymentKey(namespace: "ml", name: "iris")
    static let model = #"namespace="ml",deployment="iris""#

    /// One of everything Serin records.
    static func recordEverything(_ metrics: SerinMetrics) {
        metrics.recordReconcile(of: iris, duration: .milliseconds(30), succeeded: true)
        metrics.recordReconcile(of: iris, duration: .seconds(2), succeeded: false)
        metrics.recordGitSync(.applied, duration: .milliseconds(120), finishedAt: Timestamp(millisecondsSinceEpoch: 1_763_632_800_500))
        metrics.recordGitSync(.failed, duration: .seconds(60), finishedAt: Timestamp(millisecondsSinceEpoch: 1_763_632_900_000))
        metrics.recordGitSync(.invalid, duration: .milliseconds(80), finishedAt: Timestamp(millisecondsSinceEpoch: 1_763_632_950_000))
        metrics.recordLedgerCommit()
        metrics.recordLedgerCommit()
        metrics.recordLedgerPushRetry()
        metrics.setRolloutPhase(.Pending, of: iris)
        metrics.setRolloutPhase(.Progressing, of: iris)
        metrics.setCanaryWeight(25, of: iris)
        metrics.recordGateVerdict(.pass, gate: "success-rate", of: iris)
        metrics.recordGateVerdict(.inconclusive, gate: "p99-latency", of: iris)
        metrics.recordGateVerdict(.pass, gate: "success-rate", of: iris)
        metrics.setWorkQueueDepth(3)
        metrics.recordWebhookRequest(.github, result: .triggered)
        metrics.recordWebhookRequest(.gitlab, result: .unauthorized)
    }

    @Test("every recording shows up under its documented name and labels")
    func series() {
        let metrics = SerinMetrics()
        Self.recordEverything(metrics)
        let exposition = Exposition(metrics.exposition())
        let expected: [String: Double] = [
            "serin_reconciles_total{\(Self.model)}": 2,
            "serin_reconcile_errors_total{\(Self.model)}": 1,
            "serin_reconcile_duration_seconds_count{\(Self.model)}": 2,
            "serin_reconcile_duration_seconds_bucket{\(Self.model),le=\"0.05\"}": 1,
            "serin_reconcile_duration_seconds_bucket{\(Self.model),le=\"+Inf\"}": 2,
            "serin_git_sync_duration_seconds_count{result=\"applied\"}": 1,
            "serin_git_sync_duration_seconds_count{result=\"failed\"}": 1,
            "serin_git_sync_duration_seconds_count{result=\"invalid\"}": 1,
            "serin_git_sync_duration_seconds_count{result=\"unchanged\"}": 0,
            "serin_git_sync_last_success_timestamp_seconds": 1_763_632_800.5,
            "serin_git_sync_failures_total{reason=\"fetch\"}": 1,
            "serin_git_sync_failures_total{reason=\"invalid\"}": 1,
            "serin_ledger_commits_total": 2,
            "serin_ledger_push_retries_total": 1,
            "serin_rollout_phase{\(Self.model),phase=\"Progressing\"}": 1,
            "serin_rollout_phase{\(Self.model),phase=\"Pending\"}": 0,
            "serin_rollout_phase{\(Self.model),phase=\"Succeeded\"}": 0,
            "serin_rollout_canary_weight_ratio{\(Self.model)}": 0.25,
            "serin_gate_verdicts_total{\(Self.model),gate=\"success-rate\",result=\"pass\"}": 2,
            "serin_gate_verdicts_total{\(Self.model),gate=\"p99-latency\",result=\"inconclusive\"}": 1,
            "serin_work_queue_depth": 3,
            "serin_webhook_requests_total{endpoint=\"github\",result=\"triggered\"}": 1,
            "serin_webhook_requests_total{endpoint=\"gitlab\",result=\"unauthorized\"}": 1,
        ]
        for (series, value) in expected {
            #expect(exposition[series] == value, "\(series) in\n\(exposition.text)")
        }
        let phases = exposition.samples.filter { $0.key.hasPrefix("serin_rollout_phase{\(Self.model)") }
        #expect(phases.count == RolloutPhase.allCases.count)
        #expect(phases.values.filter { $0 == 1 }.count == 1)
        for definition in SerinMetrics.definitions {
            #expect(exposition.types[definition.name] == definition.kind.rawValue, "\(definition.name)")
            #expect(exposition.text.contains("# HELP \(definition.name) "), "\(definition.name) has no HELP")
        }
    }

    @Test("promtool check metrics passes on the exposition, before and after recording")
    func promtool() async throws {
        let metrics = SerinMetrics()
        let empty = try await Promtool.checkMetrics(metrics.exposition())
        #expect(empty.status == 0, "\(empty.output)")
        Self.recordEverything(metrics)
        metrics.recordGateVerdict(.fail, gate: "odd \"gate\"\\name\n", of: DeploymentKey(namespace: "a", name: "b"))
        let full = try await Promtool.checkMetrics(metrics.exposition())
        #expect(full.status == 0, "\(full.output)\n\(String(decoding: metrics.exposition(), as: UTF8.self))")
        #expect(full.output.isEmpty, "\(full.output)")
    }

    @Test("series without per-model labels exist at zero from the start; last success only after one")
    func initialSeries() {
        let exposition = Exposition(SerinMetrics().exposition())
        #expect(exposition["serin_ledger_commits_total"] == 0)
        #expect(exposition["serin_ledger_push_retries_total"] == 0)
        #expect(exposition["serin_work_queue_depth"] == 0)
        #expect(exposition["serin_git_sync_failures_total{reason=\"fetch\"}"] == 0)
        #expect(exposition["serin_git_sync_duration_seconds_count{result=\"unchanged\"}"] == 0)
        #expect(exposition["serin_git_sync_last_success_timestamp_seconds"] == nil)
    }

    @Test("two instances never share counts")
    func isolation() {
        let first = SerinMetrics()
        let second = SerinMetrics()
        first.recordLedgerCommit()
        #expect(Exposition(first.exposition())["serin_ledger_commits_total"] == 1)
        #expect(Exposition(second.exposition())["serin_ledger_commits_total"] == 0)
    }

    @Test("a forgotten model's phase and weight series disappear; its counters stay")
    func forget() {
        let metrics = SerinMetrics()
        Self.recordEverything(metrics)
        metrics.forgetRollout(of: Self.iris)
        let exposition = Exposition(metrics.exposition())
        #expect(!exposition.samples.keys.contains { $0.hasPrefix("serin_rollout_phase{") })
        #expect(exposition["serin_rollout_canary_weight_ratio{\(Self.model)}"] == nil)
        #expect(exposition["serin_reconciles_total{\(Self.model)}"] == 2)
        metrics.setRolloutPhase(.Succeeded, of: Self.iris)
        #expect(Exposition(metrics.exposition())["serin_rollout_phase{\(Self.model),phase=\"Succeeded\"}"] == 1)
    }

    @Test("other libraries' swift-metrics, through the factory, land in the same registry")
    func factoryFallback() {
        let metrics = SerinMetrics()
        Counter(label: "library_events_total", dimensions: [("kind", "x")], factory: metrics.factory).increment(by: 4)
        Meter(label: "library_level", factory: metrics.factory).set(2.5)
        let exposition = Exposition(metrics.exposition())
        #expect(exposition["library_events_total{kind=\"x\"}"] == 4)
        #expect(exposition["library_level"] == 2.5)
    }
}
