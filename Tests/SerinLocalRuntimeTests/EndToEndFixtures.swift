import Foundation
import SerinCore
import SerinGates
import SerinGit
import SerinLocalRuntime
import SerinOperator
import SerinRouter
import Testing
import TestSupport

/// `serin run --runtime local` assembled in-process: the operator loop, the local runtime with the real router and
/// real serin-model-server processes, router-read gates, and a real Git remote for desired state and ledger.
final class LocalSerin: @unchecked Sendable {
    let remote: DeploymentsRemote
    let state = StateDirectory()
    let router: ModelRouter
    let runtime: LocalRuntime
    let loop: ReconcileLoop<ContinuousClock>
    let reader: LedgerReader

    /// A fresh state directory each time, as on a new machine: what Serin knows comes from Git.
    init(remote: DeploymentsRemote, router configuration: RouterConfiguration = RouterConfiguration(port: 0)) async throws {
        self.remote = remote
        var configuration = configuration
        configuration.host = "127.0.0.1"
        router = try await ModelRouter.start(configuration, logger: Quiet.logger)
        let mirror = try await remote.mirror("serin")
        let archive = GitRevisionArchive(mirror: mirror, ledger: LedgerReader(mirror: mirror, logger: Quiet.logger), root: "deployments",
                                         logger: Quiet.logger)
        runtime = LocalRuntime(configuration: .init(stateDirectory: state.path, stopGrace: .seconds(5), probeInterval: .milliseconds(100)),
                               router: router, archive: archive, logger: Quiet.logger)
        reader = LedgerReader(mirror: try await remote.mirror("reader"), logger: Quiet.logger)
        let ledger = RolloutLedger(writer: LedgerWriter(mirror: mirror, logger: Quiet.logger),
                                   reader: LedgerReader(mirror: mirror, logger: Quiet.logger), logger: Quiet.logger)
        let checker = GateChecker(metrics: nil, webhooks: WebhookClient(logger: Quiet.logger), logger: Quiet.logger)
        let reconciler = ModelReconciler(runtime: runtime, gates: RouterGateMeasurer(router: router, checker: checker), ledger: ledger,
                                         now: { Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000)) },
                                         logger: Quiet.logger)
        let source = DesiredStateSource(mirror: mirror, configuration: .init(branch: "main", root: "deployments"), logger: Quiet.logger)
        loop = ReconcileLoop(source: source, reconciler: reconciler, clock: ContinuousClock(),
                             configuration: .init(workers: 2, schedule: SyncSchedule(interval: .milliseconds(300), jitter: 0)),
                             logger: Quiet.logger)
    }

    /// Runs Serin and a load generator (requests to `model` through the router) while `body` runs; then stops both,
    /// which stops every model server.
    func running(loadOn model: String, _ body: (LocalSerin) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runtime.run() }
            group.addTask { await self.loop.run() }
            group.addTask { await self.load(model) }
            do {
                try await body(self)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
        try await router.stop()
    }

    private func load(_ model: String) async {
        while !Task.isCancelled {
            _ = try? await infer(model, timeout: .seconds(2))
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One inference request to `model` through the router; the status it got.
    func infer(_ model: String, timeout: Duration = .seconds(10)) async throws -> Int {
        try await SerinLocalRuntimeTests.infer(port: router.port, model: model, timeout: timeout)
    }

    func history(_ key: DeploymentKey) async -> [String] {
        ((try? await reader.history(of: key)) ?? []).map { "\($0.phase.rawValue) \($0.weight)\($0.version.map { " v" + $0 } ?? "")" }
    }

    func lastEntry(_ key: DeploymentKey) async -> HistoryEntry? { try? await reader.history(of: key).last }
}

extension LocalSerin {
    /// Merges iris v1 (`document`) into a new remote and runs a Serin on it until v1 has Succeeded, then runs
    /// `body` while it still runs. Returns that Serin, stopped, whose `remote` a test can start another on.
    @discardableResult
    static func runningIrisV1(document: String = e2eDocument(version: "1"),
                              router: RouterConfiguration = RouterConfiguration(port: 0),
                              _ body: (LocalSerin) async throws -> Void) async throws -> LocalSerin {
        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", document, message: "deploy iris v1")
        let serin = try await LocalSerin(remote: remote, router: router)
        try await serin.running(loadOn: "iris") { serin in
            #expect(await eventually(within: .seconds(60)) {
                await serin.history(DeploymentKey(namespace: "ml", name: "iris")).last == "Succeeded 100 v1"
            })
            try await body(serin)
        }
        return serin
    }
}

func e2eDocument(name: String = "iris", namespace: String = "ml", version: String, extraArgs: [String] = [],
                 command: [String]? = nil, interval: String = "1s") -> String {
    let command = command ?? [Built.modelServer, "--model", Built.linearModel, "--port", "{{port}}", "--name", "{{model.name}}",
                              "--version", "{{model.version}}"]
    return """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: \(name), namespace: \(namespace)}
    spec:
      model: {name: \(name), version: "\(version)", uri: "file://\(Built.linearModel)"}
      runtime:
        command: [\(command.map { "\"\($0)\"" }.joined(separator: ", "))]
        args: [\(extraArgs.map { "\"\($0)\"" }.joined(separator: ", "))]
      rollout:
        steps: [50, 100]
        interval: \(interval)
        maxFailedChecks: 2
        minRequests: 5
        progressDeadline: 30s
        gates:
          - successRate: {min: 0.95}
          - latency: {quantile: 0.9, max: 500ms}

    """
}
