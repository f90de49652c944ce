import Foundation
import SerinCore
import Testing
import TestSupport

/// Serin on one machine with a real MLServer (from the repository's .venv) serving scikit-learn models trained at
/// set-up time: a Git commit deploys v1, another canaries v2 with both MLServer processes answering through the
/// router, and v2 ends up taking all traffic.
@Suite("MLServer end to end", .serialized)
struct MLServerEndToEndTests {
    let iris = DeploymentKey(namespace: "ml", name: "iris")

    @Test func aCommittedMLServerVersionIsCanariedWithBothVersionsAnsweringThroughTheRouterThenPromoted() async throws {
        let venv = try MLServerVenv.require()
        let models = try await IrisModels(venv: venv)
        let v1 = try #require(models.probabilities["1"], "training gave no probabilities for v1")
        let v2 = try #require(models.probabilities["2"], "training gave no probabilities for v2")
        try #require(v1.count == 3 && v2.count == 3, "expected three class probabilities each: \(v1), \(v2)")
        // The two models must disagree on the row, or an answer could not say which one computed it.
        try #require(zip(v1, v2).contains { abs($0 - $1) > 1e-3 }, "v1 \(v1) and v2 \(v2) give the same probabilities")

        let remote = try DeploymentsRemote()
        try await remote.merge("deployments/iris.yaml", mlserverDocument(version: "1", venv: venv, models: models), message: "deploy iris v1")
        let serin = try await LocalSerin(remote: remote)
        var serverGroups = Set<Int32>()
        try await serin.running(loadOn: "iris") { serin in
            let v1Outcome = await outcome(of: "1", serin, within: .seconds(240))
            let afterV1 = v1Outcome == "Succeeded 100 v1" ? "" : await situation(serin)
            try #require(v1Outcome == "Succeeded 100 v1", "v1 did not succeed: \(afterV1)")
            let first = await Inference.send(routerPort: serin.router.port, model: "iris")
            #expect(first.failure == nil && first.version == "1", "\(first)")
            serverGroups.formUnion(serverProcessGroups(serin.state.path))

            // Inference requests through the router for as long as the canary runs.
            let probing = Task { await probe(serin) }
            defer { probing.cancel() }
            try await remote.merge("deployments/iris.yaml", mlserverDocument(version: "2", venv: venv, models: models), message: "iris v2")
            let v2Outcome = await outcome(of: "2", serin, within: .seconds(300))
            probing.cancel()
            let (answers, groups, mostServers) = await probing.value
            serverGroups.formUnion(groups)
            let afterV2 = v2Outcome == "Succeeded 100 v2" ? "" : await situation(serin)
            try #require(v2Outcome == "Succeeded 100 v2", "v2 did not succeed: \(afterV2)")

            // During the canary both versions answered, each with its own model's probabilities.
            let canary = answers.filter(\.duringCanary)
            #expect(Set(canary.compactMap(\.modelVersion)) == ["1", "2"],
                    "versions answering during the canary (\(canary.count) requests): \(Set(canary.compactMap(\.modelVersion)))")
            #expect(mostServers >= 2, "both MLServer processes run at once during the canary")
            for answer in answers where answer.failure == nil {
                let expected = answer.modelVersion.flatMap { models.probabilities[$0] } ?? []
                #expect(answer.probabilities.count == expected.count && zip(answer.probabilities, expected).allSatisfy { abs($0 - $1) < 1e-9 },
                        "v\(answer.modelVersion ?? "?") answered \(answer.probabilities); its model gives \(expected)")
            }
            let failures = answers.compactMap(\.failure)
            #expect(failures.isEmpty, "\(failures.count) of \(answers.count) requests failed: \(failures.prefix(5))")

            // v2 takes all traffic, alone, after every step of the canary.
            let steps = await serin.history(iris).drop { $0 != "Pending 0 v2" }.reduce(into: [String]()) { steps, entry in
                if steps.last != entry { steps.append(entry) }
            }
            #expect(steps == ["Pending 0 v2", "Progressing 50 v2", "Progressing 100 v2", "Promoting 100 v2", "Succeeded 100 v2"])
            let route = serin.router.routes.first { $0.key == iris }
            #expect(route?.stable?.version == "2")
            #expect(route?.canary == nil)
            #expect(await serin.runtime.workloads(of: iris).count == 1)
            let last = await Inference.send(routerPort: serin.router.port, model: "iris")
            #expect(last.failure == nil && last.version == "2", "\(last)")
            serverGroups.formUnion(serverProcessGroups(serin.state.path))
        }
        // Both MLServer processes are gone: v1's when v2 was promoted, v2's when Serin stopped.
        #expect(serverGroups.count >= 2, "recorded MLServer process groups: \(serverGroups)")
        for group in serverGroups { #expect(!processGroupExists(group), "MLServer process group \(group) outlived Serin") }
    }

    /// The ledger's last word on `version` once the rollout has ended one way or the other (or the time is up).
    private func outcome(of version: String, _ serin: LocalSerin, within limit: Duration) async -> String? {
        let ended = { (entry: String?) in entry.map { $0.hasSuffix(" v\(version)") && ($0.hasPrefix("Succeeded") || $0.hasPrefix("Failed")) } ?? false }
        _ = await eventually(within: limit) { ended(await serin.history(iris).last) }
        return await serin.history(iris).last
    }

    /// The ledger and the processes, for a failure's message.
    private func situation(_ serin: LocalSerin) async -> String {
        let logs = (try? FileManager.default.subpathsOfDirectory(atPath: serin.state.path))?.filter { $0.hasSuffix("server.log") } ?? []
        let tails = logs.map { path in
            let text = FileManager.default.contents(atPath: serin.state.path + "/" + path).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return "\(path): " + text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }
        return "history \(await serin.history(iris)); last message: \(await serin.lastEntry(iris)?.message ?? "none"); workloads \(await serin.runtime.workloads(of: iris)); " + tails.joined(separator: "\n")
    }

    /// Sends requests until cancelled, noting the canary's share around each; returns the answers, every MLServer
    /// process group recorded meanwhile, and the most that ran at once.
    private func probe(_ serin: LocalSerin) async -> (answers: [Inference], groups: Set<Int32>, mostServers: Int) {
        let share = { () -> Int? in
            guard let route = serin.router.routes.first(where: { $0.key == iris }), route.stable != nil, route.canary != nil else { return nil }
            return route.canaryWeight
        }
        var answers: [Inference] = []
        var groups = Set<Int32>()
        var mostServers = 0
        while !Task.isCancelled {
            let running = serverProcessGroups(serin.state.path)
            groups.formUnion(running)
            mostServers = max(mostServers, running.count)
            let before = share()
            let (version, probabilities, failure) = await Inference.send(routerPort: serin.router.port, model: "iris")
            // A request cut short by the end of probing is no answer.
            if Task.isCancelled { break }
            answers.append(Inference(canaryShareBefore: before, canaryShareAfter: share(), modelVersion: version,
                                     probabilities: probabilities, failure: failure))
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (answers, groups, mostServers)
    }
}
