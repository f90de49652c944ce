import Foundation
import SerinCore
import SerinRouter
import Testing
import TestSupport

/// Serin on one machine, end to end: commits to a Git remote deploy, canary, promote and roll back real
/// serin-model-server processes behind the real router, with traffic flowing, and every transition lands in the ledger.
@Suite("Local runtime end to end", .serialized)
struct LocalEndToEndTests {
    let iris = DeploymentKey(namespace: "ml", name: "iris")

    @Test func aHealthyVersionIsPromotedThroughEveryStepAndABadOneRolledBack() async throws {
        var pids: [Int32] = []
        try await LocalSerin.runningIrisV1 { serin in
            let remote = serin.remote

            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "2"), message: "iris v2")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Succeeded 100 v2" })
            // Every step in order; a step may be recorded more than once when a check was held for too few requests.
            let steps = await serin.history(iris).drop { $0 != "Pending 0 v2" }.reduce(into: [String]()) { steps, entry in
                if steps.last != entry { steps.append(entry) }
            }
            #expect(steps == ["Pending 0 v2", "Progressing 50 v2", "Progressing 100 v2", "Promoting 100 v2", "Succeeded 100 v2"])
            #expect(await serin.runtime.workloads(of: iris).count == 1)

            // A version whose server fails 20% of requests is held, then rolled back; v2 keeps serving.
            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "3", extraArgs: ["--error-rate", "0.2"]),
                                   message: "iris v3")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Failed 0 v3" })
            let failed = try #require(await serin.lastEntry(iris))
            #expect(failed.message.hasPrefix("Rolled back to v2 and removed v3. Gate successRate failed 2 checks in a row"), "\(failed.message)")
            #expect(failed.gates.first { $0.name == "successRate" }.flatMap(\.value).map { $0 < 0.95 } == true)
            #expect(await serin.runtime.workloads(of: iris).count == 1)
            let routes = serin.router.routes
            #expect(routes.first?.stable?.version == "2")
            #expect(routes.first?.canary == nil)
            pids = serverProcessGroups(serin.state.path)
        }
        // Stopping Serin stopped every model server.
        for pid in pids { #expect(!processGroupExists(pid)) }
    }

    @Test func aNewRevisionOfTheSameVersionIsCanariedBesideTheOldOneAndPromoted() async throws {
        try await LocalSerin.runningIrisV1 { serin in
            let remote = serin.remote
            // The serving fields change, the version does not: a new revision of v1, rolled out as a canary.
            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "1", extraArgs: ["--latency", "1ms"]),
                                   message: "iris v1, with a latency")
            #expect(await eventually(within: .seconds(90)) {
                let history = await serin.history(iris)
                return history.count > 3 && history.last == "Succeeded 100 v1"
            })
            let history = await serin.history(iris)
            #expect(history.contains("Progressing 50 v1"), "\(history)")
            // The router told the two revisions apart: the new one was routed and counted as 1@<digest>.
            let traffic = serin.router.traffic(for: iris)
            let newRevision = try #require(traffic.keys.first { $0.hasPrefix("1@") }, "\(traffic.keys.sorted())")
            #expect((traffic[newRevision]?.requests ?? 0) > 0)
            #expect((traffic["1"]?.requests ?? 0) > 0)
            #expect(await serin.runtime.workloads(of: iris).count == 1)
            #expect(try await serin.infer("iris") == 200)

            // A third revision of v1 that fails half its requests is judged on its own traffic and rolled back; the
            // promoted revision keeps serving.
            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "1", extraArgs: ["--error-rate", "0.5"]),
                                   message: "iris v1, failing")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Failed 0 v1" })
            #expect(await serin.runtime.workloads(of: iris).count == 1)
            #expect(serin.router.routes.first?.stable?.version == newRevision)
            #expect(serin.router.routes.first?.canary == nil)
            #expect(try await serin.infer("iris") == 200)
        }
    }

    @Test func aVersionThatStopsAnsweringIsRolledBackThroughTheRoutersUpstreamTimeout() async throws {
        // A short upstream timeout stands in for the default minute, so that the test does not wait one per request.
        try await LocalSerin.runningIrisV1(router: RouterConfiguration(port: 0, upstreamTimeout: .milliseconds(300))) { serin in
            let remote = serin.remote

            // v2 is ready but takes ten minutes over every inference: hung, as far as its clients can tell. Without the
            // timeout its requests would stay in flight, counted by no gate.
            try await remote.merge("deployments/iris.yaml",
                                   e2eDocument(version: "2", extraArgs: ["--latency", "10m"], interval: "3s"), message: "iris v2")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Failed 0 v2" })
            let failed = await serin.lastEntry(iris)?.message ?? ""
            #expect(failed.hasPrefix("Rolled back to v1 and removed v2. Gate successRate failed 2 checks in a row"), "\(failed)")
            #expect((serin.router.traffic(for: iris)["2"]?.responses[504] ?? 0) > 0)
            #expect(serin.router.routes.first?.stable?.version == "1")
            #expect(serin.router.routes.first?.canary == nil)
        }
    }

    @Test func aStableVersionWhoseStateDirectoryWasLostIsStartedAgainFromItsDesiredCommitInGit() async throws {
        let remote = try await LocalSerin.runningIrisV1 { _ in }.remote

        // Serin starts again with an empty state directory while Git already asks for v2: the canary needs v1 as its
        // stable side, and only Git still has v1's document.
        try await remote.merge("deployments/iris.yaml", e2eDocument(version: "2"), message: "iris v2")
        let second = try await LocalSerin(remote: remote)
        try await second.running(loadOn: "iris") { serin in
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Succeeded 100 v2" })
            let history = await serin.history(iris)
            #expect(history.contains("Progressing 50 v2"), "\(history)")
        }
    }

    @Test func aCanaryInterruptedBySerinStoppingCarriesOnAtItsWeightWithNoCheckCountedAgainstIt() async throws {
        let remote = try await LocalSerin.runningIrisV1(document: e2eDocument(version: "1", interval: "3s")) { serin in
            try await serin.remote.merge("deployments/iris.yaml", e2eDocument(version: "2", interval: "3s"), message: "iris v2")
            #expect(await eventually(within: .seconds(60)) { await serin.history(iris).last == "Progressing 50 v2" })
        }.remote
        // Stopped mid-interval, and away for longer than one: the check is due the moment Serin is back, before its
        // model servers are.
        try await Task.sleep(for: .seconds(4))
        let second = try await LocalSerin(remote: remote)
        try await second.running(loadOn: "iris") { serin in
            #expect(await eventually(within: .seconds(60)) { await serin.history(iris).last == "Succeeded 100 v2" })
        }
        let entries = try await second.reader.history(of: iris).filter { $0.version == "2" }
        let resumed = try #require(entries.first { $0.message.contains("missing") }, "\(entries.map(\.message))")
        #expect(resumed.message == "v2 and v1's workloads were missing, so they were deployed again; the 3s check at 50% starts over.")
        #expect(resumed.weight == 50)
        #expect(!entries.flatMap(\.gates).contains { $0.name == "readiness" && $0.verdict != .pass }, "\(entries.map(\.message))")
    }

    @Test func aCrashingVersionAMissingCommandAMissingModelFileAndATakenPortEachFailWithoutTouchingOtherModels() async throws {
        try await LocalSerin.runningIrisV1 { serin in
            let remote = serin.remote

            // v2 exits after a few requests, every time it is started: a crash loop, so a failed canary.
            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "2", extraArgs: ["--fail-after", "3"]), message: "iris v2")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Failed 0 v2" })
            let crashed = await serin.lastEntry(iris)?.message ?? ""
            // Whichever notices first (the readiness gate failing between restarts, or the crash loop), the reason
            // says the process exited.
            #expect(crashed.contains("exited with status 1"), "\(crashed)")
            #expect(serin.router.routes.first?.stable?.version == "1")

            // Another model whose command does not exist fails on its own; iris keeps serving v1.
            let fraud = DeploymentKey(namespace: "ml", name: "fraud")
            try await remote.merge("deployments/fraud.yaml", e2eDocument(name: "fraud", version: "1", command: ["serin-no-such-server"]),
                                   message: "deploy fraud")
            #expect(await eventually(within: .seconds(60)) { await serin.history(fraud).last == "Failed 0 v1" })
            #expect(await serin.lastEntry(fraud)?.message.contains("command not found: serin-no-such-server") == true)
            #expect(await serin.history(iris).last == "Failed 0 v2")
            #expect(serin.router.routes.first { $0.key == iris }?.stable?.version == "1")

            // A model in another namespace that also calls itself iris: the router routes by name, so it fails on
            // its own and iris keeps its route.
            let otherIris = DeploymentKey(namespace: "other", name: "iris")
            try await remote.merge("deployments/other-iris.yaml", e2eDocument(namespace: "other", version: "1"),
                                   message: "deploy other/iris")
            #expect(await eventually(within: .seconds(60)) { await serin.history(otherIris).last == "Failed 0 v1" })
            let conflict = await serin.lastEntry(otherIris)?.message ?? ""
            #expect(conflict.contains("the model name \"iris\" is already served by ml/iris on this machine"), "\(conflict)")
            #expect(serin.router.routes.first { $0.key == iris }?.stable?.version == "1")
            #expect(try await serin.infer("iris") == 200)

            // A version whose model file is missing: the server's own error reaches the ledger.
            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "3", command: [
                Built.modelServer, "--model", "/nonexistent/iris.json", "--port", "{{port}}", "--name", "iris",
            ]), message: "iris v3")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Failed 0 v3" })
            let missing = await serin.lastEntry(iris)?.message ?? ""
            #expect(missing.contains("model file /nonexistent/iris.json does not exist"), "\(missing)")
            #expect(serin.router.routes.first { $0.key == iris }?.stable?.version == "1")

            // A version whose command pins a port another server holds (v1's): the server's error reaches the ledger.
            let taken = try #require(serin.router.routes.first { $0.key == iris }?.stable?.port)
            try await remote.merge("deployments/iris.yaml", e2eDocument(version: "4", command: [
                Built.modelServer, "--model", Built.linearModel, "--port", "\(taken)", "--name", "iris",
            ]), message: "iris v4")
            #expect(await eventually(within: .seconds(90)) { await serin.history(iris).last == "Failed 0 v4" })
            let inUse = await serin.lastEntry(iris)?.message ?? ""
            #expect(inUse.contains("127.0.0.1:\(taken) is already in use"), "\(inUse)")
            #expect(serin.router.routes.first { $0.key == iris }?.stable?.version == "1")
            #expect(try await serin.infer("iris") == 200)
        }
    }
}

/// The process groups the runtime recorded, read while Serin runs.
func serverProcessGroups(_ state: String) -> [Int32] {
    guard let data = FileManager.default.contents(atPath: state + "/processes.json"),
          let document = try? JSONValue(parsing: Array(data)) else { return [] }
    return (document["processes"]?.arrayValue ?? []).compactMap { $0["pid"]?.integerValue.map { Int32($0) } }
}
