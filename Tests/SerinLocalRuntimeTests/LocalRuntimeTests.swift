import Foundation
import Logging
import SerinCore
import SerinHTTP
import SerinLocalRuntime
import SerinOperator
import Testing
import TestSupport

@Suite("Local runtime with the real serin-model-server")
struct LocalRuntimeTests {
    let key = DeploymentKey(namespace: "ml", name: "iris")

    func runtime(_ state: StateDirectory, router: some LocalTrafficRouting, crashLoopRestarts: Int = 3,
                 notReadyReportAfter: Duration = .seconds(30), logger: Logger = Quiet.logger) -> LocalRuntime {
        LocalRuntime(configuration: .init(stateDirectory: state.path, stopGrace: .seconds(5), probeInterval: .milliseconds(100),
                                          crashLoopRestarts: crashLoopRestarts, notReadyReportAfter: notReadyReportAfter),
                     router: router, logger: logger)
    }

    /// Starts `deployment` on a supervised runtime with a fresh state directory and a recording router, waits
    /// until it is ready, and runs `body` while it serves.
    func servingReady(_ deployment: ModelDeployment,
                      _ body: (LocalRuntime, RecordingRouter, StateDirectory) async throws -> Void) async throws {
        let state = StateDirectory()
        let router = RecordingRouter()
        let runtime = runtime(state, router: router)
        try await supervising(runtime) {
            try await runtime.serve(deployment, as: key)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
            try await body(runtime, router, state)
        }
    }

    @Test func aDeployedRevisionStartsAndIsReadyOnceItsReadinessPathAnswers() async throws {
        let deployment = localDeployment()
        try await servingReady(deployment) { _, router, state in
            let route = try #require(await router.current.first)
            #expect(route.modelName == "iris")
            #expect(route.stable?.version == "1")
            let port = try #require(route.stable?.port)
            #expect(try await infer(port: port, timeout: .seconds(5)) == 200)
            #expect(FileManager.default.fileExists(atPath: state.path + "/models/ml/iris/\(deployment.revision.digest)/server.log"))
        }
    }

    @Test func aRouteThatChangesWithoutChangingTheSplitLogsNoSecondTrafficShiftedLine() async throws {
        let state = StateDirectory()
        let log = CapturedLog()
        let runtime = runtime(state, router: RecordingRouter(), logger: log.logger)
        let deployment = localDeployment()
        try await supervising(runtime) {
            // A first deployment: the canary takes everything, then becomes the stable version. The router's split
            // is the same both times: all of it to v1.
            try await runtime.perform([.deploy(deployment.revision, replicas: 1),
                                       .route(TrafficSplit(stable: nil, canary: deployment.revision, canaryWeight: 100))],
                                      key: key, desired: deployment)
            #expect(await eventually { log.lines.contains(where: Self.sendsAllToV1) })
            try await runtime.perform([.route(.all(to: deployment.revision))], key: key, desired: deployment)
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
        }
        #expect(log.lines.filter(Self.sendsAllToV1).count == 1, "\(log.lines.map(\.message))")
    }

    @Test func aTrafficShiftedLineCarriesNoVersionWhileTheDesiredVersionIsAnother() async throws {
        // A rollback: Git asks for v3 while the split serves v1. The line is about the split, which names its versions.
        let context = ModelLogContext(key: key, version: "3", desiredCommit: "0123456789abcdef")
        let line = try await trafficShiftedLine(whileWorkingOn: context)
        #expect(line.metadata["model"] == "ml/iris")
        #expect(line.metadata["desiredCommit"] == "0123456789ab")
        #expect(line.metadata["version"] == nil, "\(line.metadata)")
    }

    @Test func aTrafficShiftedLineNamesItsModelWhileAnotherModelsWorkRuns() async throws {
        let context = ModelLogContext(key: DeploymentKey(namespace: "ml", name: "other"), version: "2",
                                      desiredCommit: "0123456789abcdef")
        let line = try await trafficShiftedLine(whileWorkingOn: context)
        #expect(line.metadata["model"] == "ml/iris", "\(line.metadata)")
        #expect(line.metadata["version"] == nil, "\(line.metadata)")
    }

    /// The line for v1 taking all of `key`'s traffic, logged while `context` is the work's context, as the console
    /// sees it (with the context's metadata added to every line).
    private func trafficShiftedLine(whileWorkingOn context: ModelLogContext) async throws -> CapturedLog.Line {
        let state = StateDirectory()
        let log = CapturedLog(metadataProvider: ModelLogContext.metadataProvider)
        let runtime = runtime(state, router: RecordingRouter(), logger: log.logger)
        let deployment = localDeployment()
        try await supervising(runtime) {
            try await ModelLogContext.$current.withValue(context) {
                try await runtime.serve(deployment, as: key)
            }
            #expect(await eventually { log.lines.contains(where: Self.sendsAllToV1) })
        }
        return try #require(log.lines.first(where: Self.sendsAllToV1))
    }

    private static func sendsAllToV1(_ line: CapturedLog.Line) -> Bool {
        line.message == "traffic shifted" && line.metadata["shares"]?.hasPrefix("v1 100% on :") == true
    }

    @Test func aServerIsRoutedOnlyOnceItsReadinessPathAnswers() async throws {
        let state = StateDirectory()
        let router = RecordingRouter()
        let runtime = runtime(state, router: router)
        // Listening at once, but not ready for two seconds: the router is not to send it anything before then.
        let deployment = localDeployment(command: [Built.modelServer, "--model", Built.linearModel, "--port", "{{port}}",
                                                   "--name", "{{model.name}}", "--ready-after", "2s"])
        try await supervising(runtime) {
            try await runtime.serve(deployment, as: key)
            #expect(await eventually { await router.current.first != nil })
            #expect(await router.current.first?.stable == nil)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
            #expect(await eventually { await router.current.first?.stable?.version == "1" })
            // Every table published before the server was ready routed nothing to it.
            let tables = await router.tables
            let firstRouted = try #require(tables.firstIndex { $0.first?.stable != nil })
            #expect(tables[..<firstRouted].allSatisfy { $0.first?.stable == nil })
        }
    }

    @Test func aServerThatStaysUnreadyIsReportedWithWhatItsReadinessProbeGot() async throws {
        let state = StateDirectory()
        let log = CapturedLog()
        let runtime = runtime(state, router: RecordingRouter(), notReadyReportAfter: .milliseconds(400), logger: log.logger)
        let deployment = localDeployment(readinessPath: "/v2/health/nope")
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            #expect(await eventually { log.lines.contains { $0.message == "model server is not ready yet" } })
            let message = await runtime.workloads(of: key)[deployment.revision.digest]?.message
            #expect(message == "waiting for /v2/health/nope to answer 2xx; it answered 404")
        }
        let reports = log.lines.filter { $0.message == "model server is not ready yet" }
        #expect(reports.first?.level == .warning)
        #expect(reports.first?.metadata["probe"] == "GET /v2/health/nope answered 404", "\(reports)")
    }

    @Test func aServerThatBecomesReadyInTimeIsNotReportedAsUnready() async throws {
        let state = StateDirectory()
        let log = CapturedLog()
        let runtime = runtime(state, router: RecordingRouter(), notReadyReportAfter: .seconds(5), logger: log.logger)
        let deployment = localDeployment()
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
        }
        #expect(!log.lines.contains { $0.message == "model server is not ready yet" })
    }

    @Test func aReadyServerThatMissesTwoProbesStaysRouted() async throws {
        let state = StateDirectory()
        let router = RecordingRouter()
        let runtime = runtime(state, router: router)
        // A server whose readiness path fails its 5th and 6th probes only: two misses in a row, under the threshold.
        let server = """
            import http.server, sys
            count = 0
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    global count
                    count += 1
                    self.send_response(503 if count in (5, 6) else 200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
            """
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("serin-probe-\(UUID().uuidString).py")
        try server.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let deployment = localDeployment(command: ["python3", script.path, "{{port}}"])
        try await supervising(runtime) {
            try await runtime.serve(deployment, as: key)
            #expect(await eventually { await router.current.first?.stable != nil })
            // Probes run every 100 ms: well past the 6th.
            try await Task.sleep(for: .seconds(2))
            let tables = await router.tables
            let firstRouted = try #require(tables.firstIndex { $0.first?.stable != nil })
            #expect(tables[firstRouted...].allSatisfy { $0.first?.stable != nil }, "\(tables)")
            #expect(await runtime.workloads(of: key)[deployment.revision.digest]?.isReady == true)
        }
    }

    @Test func theRouterEndsOnTheLatestRoutesWhenAnEarlierPublishReachesItLast() async throws {
        let state = StateDirectory()
        let router = OnceDelayedRouter()
        let runtime = runtime(state, router: router)
        let stable = localDeployment(version: "1"), canary = localDeployment(version: "2")
        // Two route changes in a row; the first reaches the router after the second.
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await runtime.perform([.route(TrafficSplit(stable: stable.revision, canary: canary.revision, canaryWeight: 10))],
                                           key: key, desired: canary)
            }
            try? await Task.sleep(for: .milliseconds(50))
            group.addTask {
                try? await runtime.perform([.route(TrafficSplit(stable: stable.revision, canary: canary.revision, canaryWeight: 20))],
                                           key: key, desired: canary)
            }
        }
        #expect(await router.current.first?.canaryWeight == 20)
    }

    @Test func trafficShiftedLinesKeepTheOrderOfTheChangesWhenTheRouterTakesThemOutOfOrder() async throws {
        let log = CapturedLog()
        let router = OnceDelayedRouter()
        let runtime = runtime(StateDirectory(), router: router, logger: log.logger)
        let stable = localDeployment(version: "1"), canary = localDeployment(version: "2")
        func split(_ weight: Int) -> RolloutAction {
            .route(TrafficSplit(stable: stable.revision, canary: canary.revision, canaryWeight: weight))
        }
        try await supervising(runtime) {
            try await runtime.serve(stable, as: key)
            try await runtime.perform([.deploy(canary.revision, replicas: 1), split(0)], key: key, desired: canary)
            #expect(await eventually {
                let both = (await runtime.isReady(stable, as: key), await runtime.isReady(canary, as: key))
                return both == (true, true)
            })
            #expect(await eventually { await router.current.first?.canary != nil })
            await router.delayNextTable()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await runtime.perform([split(10)], key: key, desired: canary) }
                try? await Task.sleep(for: .milliseconds(50))
                group.addTask { try? await runtime.perform([split(20)], key: key, desired: canary) }
            }
        }
        let shares = log.lines.filter { $0.message == "traffic shifted" }.compactMap { $0.metadata["shares"] }
        #expect(shares.suffix(2).map { $0.contains("v2 10%") } == [true, false], "\(shares)")
        #expect(shares.last?.contains("v2 20%") == true, "\(shares)")
    }

    @Test func scalingToZeroStopsTheProcessAndKeepsItsSpecForARollback() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        let deployment = localDeployment()
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
            try await runtime.perform([.scale(deployment.revision, replicas: 0)], key: key, desired: nil)
            #expect(await runtime.workloads(of: key)[deployment.revision.digest]?.isReady == false)
            // Started again without the desired document: from the spec the state directory recorded.
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: nil)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
        }
    }

    @Test func aServerThatKeepsExitingIsRestartedThenReportedAsACrashLoop() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter(), crashLoopRestarts: 2)
        let deployment = localDeployment(command: ["/bin/sh", "-c", "echo loading model {{model.version}}; echo out of memory >&2; exit 3"])
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            #expect(await eventually { await runtime.workloads(of: key)[deployment.revision.digest]?.hasFailed == true })
            let message = await runtime.workloads(of: key)[deployment.revision.digest]?.message ?? ""
            #expect(message.hasPrefix("crash loop: it exited with status 3 2 times within 300.0 seconds"))
            #expect(message.hasSuffix("last output: loading model 1 | out of memory"), "\(message)")
        }
    }

    @Test func aCommandThatDoesNotExistFailsAtOnceWithItsName() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        let deployment = localDeployment(command: ["serin-no-such-model-server", "--port", "{{port}}"])
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            let workload = await runtime.workloads(of: key)[deployment.revision.digest]
            #expect(workload?.hasFailed == true)
            let message = workload?.message ?? ""
            #expect(message.hasPrefix("spec.runtime.command: command not found: serin-no-such-model-server (searched PATH="), "\(message)")
            #expect(message.hasSuffix("; install it on this machine, or give the path of its executable"), "\(message)")
        }
    }

    @Test func aServerThatCannotStartIsReportedAsAChangeOfItsModel() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        let deployment = localDeployment(command: ["serin-no-such-model-server", "--port", "{{port}}"])
        let changes = await runtime.changes()
        try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
        let reported = await withTaskGroup(of: DeploymentKey?.self) { group in
            group.addTask { await changes.first { _ in true } }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(reported == key)
    }

    @Test func aCommandPathThatDoesNotExistFailsAtOnceSayingSo() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        let deployment = localDeployment(command: ["/opt/serin-nowhere/model-server", "--port", "{{port}}"])
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            let message = await runtime.workloads(of: key)[deployment.revision.digest]?.message ?? ""
            #expect(message.hasPrefix("spec.runtime.command: command not found: /opt/serin-nowhere/model-server does not exist;"),
                    "\(message)")
        }
    }

    @Test func aFileModelTheServerIsGivenThatDoesNotExistFailsAtOnceNamingTheURI() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        let missing = state.path + "/models/iris%20v9.json"
        let deployment = localDeployment(command: [Built.modelServer, "--model", "{{model.uri}}", "--port", "{{port}}"],
                                         uri: "file://\(missing)")
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            let workload = await runtime.workloads(of: key)[deployment.revision.digest]
            #expect(workload?.hasFailed == true)
            #expect(workload?.message == "spec.model.uri: \(state.path)/models/iris v9.json does not exist on this machine, "
                + "where the local runtime's model servers read file:// models; commit the model file at that path, or correct the uri")
        }
    }

    @Test func aFileModelNoTemplateUsesIsLeftToTheServer() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        // The server is given its model another way; the uri only describes it.
        let deployment = localDeployment(uri: "file:///nonexistent/described-only.json")
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
        }
    }

    @Test func removingARevisionDrainsItStopsItAndDeletesItsDirectory() async throws {
        let deployment = localDeployment()
        try await servingReady(deployment) { runtime, router, state in
            try await runtime.perform([.route(.none), .remove(deployment.revision)], key: key, desired: nil)
            #expect(await router.drained == ["ml/iris 1"])
            #expect(await runtime.workloads(of: key).isEmpty)
            #expect(await runtime.deployedModels().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: state.path + "/models/ml/iris/\(deployment.revision.digest)"))
        }
    }

    @Test func removingAModelThisRuntimeNeverRanLeavesNoRouteForIt() async throws {
        // What Serin does after a restart for a model the ledger records as Removed: the removal is repeated.
        let deployment = localDeployment()
        let router = RecordingRouter()
        let runtime = runtime(StateDirectory(), router: router)
        try await runtime.perform([.route(.none), .remove(deployment.revision)], key: key, desired: nil)
        #expect(await router.current.isEmpty)
        #expect(await runtime.deployedModels().isEmpty)
    }

    @Test func scalingARunningRevisionToZeroDrainsItBeforeItsProcessStops() async throws {
        // What a rollback does to its canary: routed away, then stopped in place.
        let deployment = localDeployment()
        try await servingReady(deployment) { runtime, router, _ in
            try await runtime.perform([.route(.none), .scale(deployment.revision, replicas: 0)], key: key, desired: deployment)
            #expect(await router.drained == ["ml/iris 1"])
            #expect(await runtime.workloads(of: key)[deployment.revision.digest]?.message == "stopped")
            // Stopping it again has nothing in flight to wait for.
            try await runtime.perform([.scale(deployment.revision, replicas: 0)], key: key, desired: deployment)
            #expect(await router.drained == ["ml/iris 1"])
        }
    }

    @Test func aModelWhoseNameAnotherModelServesFailsAndTheOtherKeepsItsRoute() async throws {
        // Two deployments in different namespaces, both serving "iris": the router routes /v2/models/iris by name.
        let state = StateDirectory()
        let router = RecordingRouter()
        let log = CapturedLog()
        let runtime = runtime(state, router: router, logger: log.logger)
        let first = localDeployment(), second = localDeployment(namespace: "other")
        try await supervising(runtime) {
            try await runtime.serve(first, as: first.key)
            #expect(await eventually { await router.current.first?.stable != nil })
            try await runtime.serve(second, as: second.key)
            let workload = await runtime.workloads(of: second.key)[second.revision.digest]
            #expect(workload?.hasFailed == true)
            #expect(workload?.message?.hasPrefix("the model name \"iris\" is already served by ml/iris on this machine") == true,
                    "\(workload?.message ?? "")")
            // The first model keeps its route through every later publish, and its workload is unaffected.
            #expect(await eventually { await runtime.isReady(second, as: second.key) == false })
            #expect(await router.current.map(\.key) == [first.key])
            #expect(await runtime.isReady(first, as: first.key))
            #expect(log.lines.filter { $0.message == "model name already served on this machine" }.map { $0.metadata["model"] }
                    == ["other/iris"])
        }
    }

    @Test func aRestartedRuntimeStopsTheServersAnEarlierOneLeftRunning() async throws {
        let state = StateDirectory()
        let first = runtime(state, router: RecordingRouter())
        let deployment = localDeployment()
        // The first Serin dies without stopping anything: its loop is never run to completion.
        try await first.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
        let pid = try #require(serverProcessGroups(state.path).first)
        #expect(processGroupExists(pid))

        let second = runtime(state, router: RecordingRouter())
        #expect(!processGroupExists(pid))
        #expect(await second.deployedModels() == [key])
    }

    @Test func aServerDoesNotInheritTheVariablesWithheldFromIt() async throws {
        let state = StateDirectory()
        let runtime = LocalRuntime(configuration: .init(stateDirectory: state.path, stopGrace: .seconds(5), withheldEnvironment: ["HOME"]),
                                   router: RecordingRouter(), logger: Quiet.logger)
        let deployment = localDeployment()
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            let names = try serverEnvironmentNames(in: state)
            #expect(!names.contains("HOME"), "\(names)")
            #expect(names.contains("PATH"), "\(names)")
        }
    }

    @Test func aServerDoesNotInheritTheKeyAWebhookGateReadsFromSerinsEnvironment() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        // HOME stands for the key's variable: it is in every test run's environment.
        let deployment = localDeployment(gates: [#"{webhook: {name: smoke, url: "http://127.0.0.1:9/run", secret: {env: HOME}}}"#])
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            let names = try serverEnvironmentNames(in: state)
            #expect(!names.contains("HOME"), "\(names)")
            #expect(names.contains("PATH"), "\(names)")
        }
    }

    @Test func stoppingTheRuntimeStopsEveryServer() async throws {
        let state = StateDirectory()
        let runtime = runtime(state, router: RecordingRouter())
        let deployment = localDeployment()
        try await supervising(runtime) {
            try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
            #expect(await eventually { await runtime.isReady(deployment, as: key) })
        }
        let recorded = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: state.path + "/processes.json"))))
        #expect(recorded["processes"]?.arrayValue?.isEmpty == true)
    }
}

extension LocalRuntime {
    /// Starts `deployment` and routes all of `key`'s traffic to it, as a first deployment does.
    func serve(_ deployment: ModelDeployment, as key: DeploymentKey) async throws {
        try await perform([.deploy(deployment.revision, replicas: 1), .route(.all(to: deployment.revision))], key: key,
                          desired: deployment)
    }

    func isReady(_ deployment: ModelDeployment, as key: DeploymentKey) -> Bool {
        workloads(of: key)[deployment.revision.digest]?.isReady == true
    }
}

@Suite("Local runtime: stopping")
struct LocalRuntimeStopTests {
    /// Servers that ignore SIGTERM are killed once the grace period has passed, all of them after one grace period
    /// rather than one each: three such servers with a 3 s grace take about 3 s to stop, not 9.
    @Test func serversThatIgnoreSIGTERMAreAllKilledAfterOneGracePeriod() async throws {
        let state = StateDirectory()
        let grace = Duration.seconds(3)
        let runtime = LocalRuntime(configuration: .init(stateDirectory: state.path, stopGrace: grace, probeInterval: .milliseconds(100)),
                                   router: RecordingRouter(), logger: Quiet.logger)
        // The shell and its sleeps ignore SIGTERM (an ignored signal stays ignored in children); the model server
        // in the same group answers the readiness probe, and exits on SIGTERM.
        let server = "\(Built.modelServer) --model \(Built.linearModel) --port {{port}} --name iris"
        let stubborn = ["/bin/sh", "-c", "trap '' TERM; \(server) & while :; do sleep 1; done"]
        let keys = (1...3).map { DeploymentKey(namespace: "team\($0)", name: "iris") }
        var groups: [Int32] = []
        var stopping = ContinuousClock.now
        try await supervising(runtime) {
            for key in keys {
                let deployment = localDeployment(namespace: key.namespace, command: stubborn)
                try await runtime.perform([.deploy(deployment.revision, replicas: 1)], key: key, desired: deployment)
                #expect(await eventually { await runtime.workloads(of: key)[deployment.revision.digest]?.isReady == true })
            }
            groups = serverProcessGroups(state.path)
            #expect(groups.count == 3)
            stopping = ContinuousClock.now
        }
        let took = ContinuousClock.now - stopping
        // The group's leader is reaped before `stop` returns; its killed children are reaped by init a moment later.
        for group in groups {
            #expect(await eventually(within: .seconds(5)) { !processGroupExists(group) }, "process group \(group) outlived the runtime")
        }
        #expect(took >= grace, "a server was killed before its grace period ended")
        #expect(took < grace * 2.5, "stopping took \(took): a grace period per server")
    }
}
