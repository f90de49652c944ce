import Crypto
import Foundation
import SerinHTTP
import Testing

/// `serin run --runtime kubernetes` end to end, as an operator runs it: the built `serin` against the built
/// `kube-emulator`, a deployments repository served by `git daemon` on loopback, and the real `kubectl` and
/// `git log serin/status` to see what happened (scenarios with gates add a real Prometheus: KubernetesGateRunTests).
/// Serialized: each test runs an API server and one or two operators on a shared machine.
@Suite("serin run on Kubernetes", .serialized)
struct KubernetesRunTests {
    static let secret = "k8s-hook-secret-8d2a41"
    static let binaries = ValidateCommandTests.executable.deletingLastPathComponent()

    @Test func aFirstDeployCreatesTheDeploymentAndServicesAndRecordsSuccess() async throws {
        let world = try await World()
        try world.write(version: "1")
        try world.repository.commit("deploy iris v1")
        try world.startOperator()

        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v1)"), "\(world.logs)")
        let deployments = try world.names("deployments")
        #expect(deployments.count == 1, "\(deployments)")
        #expect(deployments.first?.hasPrefix("deployment.apps/iris-1-") == true, "\(deployments)")
        let services = Set(try world.names("services"))
        #expect(services.contains("service/iris"), "\(services)")
        #expect(services.contains(deployments.first.map { "service/" + $0.dropFirst("deployment.apps/".count) } ?? ""), "\(services)")
        let replicas = try world.kubectl("get", deployments.first ?? "", "-o", "jsonpath={.spec.replicas} {.status.readyReplicas}")
        #expect(replicas.output == "2 2", "\(replicas.output)")
    }

    @Test func aNewVersionGoesThroughEveryStepWithTheHTTPRouteFollowingAndTheOldDeploymentIsDeleted() async throws {
        let world = try await World()
        try world.apply(World.irisRoute)
        let traffic = "{provider: gateway-api}"
        let serin = try await world.deployVersion1(steps: "[10, 25, 50, 100]", traffic: traffic)
        let old = try #require(try world.names("deployments").first)

        // Each step holds for 2 s, so sampling the route with kubectl four times a second sees every weight.
        try world.write(version: "2", steps: "[10, 25, 50, 100]", interval: "2s", traffic: traffic)
        try world.repository.commit("iris v2")
        #expect(try await world.announcePush(to: serin) == 202)
        var states: [String] = []
        #expect(await world.eventually {
            let backends = try world.kubectl("get", "httproute", "iris", "-o", "jsonpath={range .spec.rules[0].backendRefs[*]}{.name}={.weight} {end}").output
            let state = backends.split(separator: " ").map { backend in
                let parts = backend.split(separator: "=", omittingEmptySubsequences: false)
                return "v\(parts[0].dropFirst("iris-".count).prefix { $0 != "-" })=\(parts.count > 1 ? parts[1] : "")"
            }.joined(separator: " ")
            if states.last != state { states.append(state) }
            return world.ledger.last == "ml/iris: Succeeded 100% (v2)" && state == "v2=100"
        }, "\(world.logs)")

        let transitions = world.transitions(of: "v2")
        #expect(transitions == ["Pending 0%", "Progressing 10%", "Progressing 25%", "Progressing 50%", "Progressing 100%",
                                "Promoting 100%", "Succeeded 100%"], "\(transitions)")
        #expect(await world.eventually { try world.names("deployments").count == 1 }, "\((try? world.names("deployments")) ?? [])")
        let remaining = try world.names("deployments")
        #expect(!remaining.contains(old), "\(remaining)")
        #expect(remaining.first?.hasPrefix("deployment.apps/iris-2-") == true, "\(remaining)")

        // The states the route passed through, in order: the canary's weights step by step, then v2 alone. The
        // brief ones (the canary added at 0% while it becomes ready, 100% just before promotion) may fall between
        // two samples; every step's weight holds long enough to be seen.
        let walk = ["v1=100", "v1=100 v2=0", "v1=90 v2=10", "v1=75 v2=25", "v1=50 v2=50", "v1=0 v2=100", "v2=100"]
        let seen = states.filter { walk.contains($0) }
        #expect(seen == walk.filter { seen.contains($0) }, "out of order or repeated: \(states)")
        #expect(Set(["v1=90 v2=10", "v1=75 v2=25", "v1=50 v2=50", "v2=100"]).isSubset(of: Set(seen)), "\(states)")
        #expect(states.allSatisfy { walk.contains($0) || $0 == "v=" }, "a weight outside the walk: \(states)")

        // At rest, resyncs look at the model again and again and write nothing: the emulator's log says so.
        try await Task.sleep(for: .seconds(2))
        let mark = world.requests.count
        for _ in 0..<3 {
            #expect(try await world.announcePush(to: serin) == 202)
            try await Task.sleep(for: .milliseconds(700))
        }
        #expect(await world.eventually(within: .seconds(10)) { serin.text.components(separatedBy: "syncing now").count > 3 })
        try await Task.sleep(for: .seconds(1))
        #expect(world.serinWrites(skipping: mark) == [], "\(world.serinWrites(skipping: mark))")
    }

    @Test func aDeploymentScaledWithKubectlIsScaledBackAndTheRevertIsAnEvent() async throws {
        let world = try await World()
        let serin = try await world.deployVersion1()
        let deployment = try #require(try world.names("deployments").first)

        let scaled = try world.kubectl("scale", deployment, "--replicas=5")
        #expect(scaled.status == 0, "\(scaled.output)")
        // The change itself should trigger a pass; a webhook makes sure one runs even if it did not.
        try await world.announcePush(to: serin)
        #expect(await world.eventually {
            try world.kubectl("get", deployment, "-o", "jsonpath={.spec.replicas}").output == "2"
        }, "\(world.logs)")
        #expect(await world.eventually { world.driftEvents(of: deployment).contains { $0.contains("spec.replicas was 5, set to 2") } },
                "\((try? world.kubectl("get", "events", "-o", "yaml").output) ?? "")")
    }

    @Test func anImageSetWithKubectlIsSetBackAndTheRevertIsAnEvent() async throws {
        let world = try await World()
        let serin = try await world.deployVersion1()
        let deployment = try #require(try world.names("deployments").first)
        let image = "{.spec.template.spec.containers[0].image}"

        let set = try world.kubectl("set", "image", deployment, "*=docker.io/attacker/miner:latest")
        #expect(set.status == 0, "\(set.output)")
        try await world.announcePush(to: serin)
        #expect(await world.eventually {
            try world.kubectl("get", deployment, "-o", "jsonpath=\(image)").output == "docker.io/seldonio/mlserver:1.7.1"
        }, "\(world.logs)")
        #expect(await world.eventually { world.driftEvents(of: deployment).contains { $0.contains("docker.io/attacker/miner:latest") } },
                "\((try? world.kubectl("get", "events", "-o", "yaml").output) ?? "")")
        #expect(world.transitions(of: "v1") == ["Pending 0%", "Promoting 100%", "Succeeded 100%"], "a repair is not a rollout: \(world.ledger)")
    }

    @Test func aModelRemovedFromGitHasItsObjectsDeletedAndIsRecordedAsRemoved() async throws {
        let world = try await World()
        try world.write(version: "1")
        // Another model stays, so the commit that removes iris still has a deployments/ directory.
        try world.write(version: "7", name: "wine")
        try world.repository.commit("deploy iris v1")
        let serin = try world.startOperator()
        #expect(await world.eventually { world.ledger.contains("ml/iris: Succeeded 100% (v1)") }, "\(world.logs)")
        #expect(!(try world.names("deployments")).isEmpty)

        try world.repository.git("rm", "--quiet", "deployments/iris.yaml")
        try world.repository.commit("remove iris")
        try await world.announcePush(to: serin)
        #expect(await world.eventually { world.ledger.contains { $0.hasPrefix("ml/iris: Removed") } }, "\(world.logs)")
        #expect(await world.eventually {
            try world.names("deployments").isEmpty && world.names("services").isEmpty
        }, "\((try? world.kubectl("get", "deployments,services").output) ?? "")")
        let wine = try world.kubectl("get", "deployments", "-l", "serin.dev/model=wine", "-o", "name")
        #expect(wine.output.hasPrefix("deployment.apps/wine-7-"), "the model still in Git keeps its Deployment: \(wine.output)")
    }

    @Test func anOperatorKilledMidRolloutContinuesFromTheSameStepAfterARestart() async throws {
        let world = try await World()
        let first = try await world.deployVersion1(interval: "3s")

        try world.write(version: "2", interval: "3s")
        try world.repository.commit("iris v2")
        try await world.announcePush(to: first)
        #expect(await world.ledgerEnds(with: "ml/iris: Progressing 50% (v2)"), "\(world.logs)")
        first.kill()
        let before = world.transitions(of: "v2")

        try world.startOperator()
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")
        let transitions = world.transitions(of: "v2")
        #expect(Array(transitions.prefix(before.count)) == before, "\(transitions)")
        #expect(transitions.count == Set(transitions).count, "a step recorded twice: \(transitions)")
        #expect(!transitions.contains("Pending 0%") || transitions.firstIndex(of: "Pending 0%") == 0, "\(transitions)")
        #expect(transitions.contains("Progressing 100%"), "\(transitions)")
        #expect(await world.eventually { try world.names("deployments").count == 1 }, "\((try? world.names("deployments")) ?? [])")
    }

    @Test func aSecondCommitMidRolloutAbandonsTheCanaryAndRollsTheNewerVersionOut() async throws {
        let world = try await World()
        let serin = try await world.deployVersion1()

        // v2 would wait an hour at its first step.
        try world.write(version: "2", interval: "1h")
        try world.repository.commit("iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Progressing 50% (v2)"), "\(world.logs)")

        try world.write(version: "3")
        try world.repository.commit("iris v3")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v3)"), "\(world.logs)")
        #expect(!world.transitions(of: "v2").contains { $0.hasPrefix("Succeeded") || $0.hasPrefix("Promoting") }, "\(world.ledger)")
        #expect(world.transitions(of: "v3").contains("Progressing 50%"), "v3 starts over from the first step: \(world.ledger)")
        #expect(await world.eventually {
            let names = try world.names("deployments")
            return names.count == 1 && names[0].hasPrefix("deployment.apps/iris-3-")
        }, "\((try? world.names("deployments")) ?? [])")
    }

    @Test func aWebhookWithABadSignatureIsRefusedAndSyncsNothing() async throws {
        let world = try await World()
        let serin = try await world.deployVersion1()

        try world.write(version: "2")
        try world.repository.commit("iris v2")
        #expect(try await world.announcePush(to: serin, signedWith: "not-the-secret") == 401)
        try await Task.sleep(for: .seconds(4))
        #expect(world.transitions(of: "v2").isEmpty, "a refused webhook synced: \(world.ledger)")
        #expect(await serin.line(containing: "webhook refused") != nil, "\(serin.text)")
        #expect(!serin.text.contains(KubernetesRunTests.secret) && !serin.text.contains("not-the-secret"))

        // The poll interval is an hour: only a valid webhook explains a rollout within seconds.
        #expect(try await world.announcePush(to: serin) == 202)
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)", within: .seconds(30)), "\(world.logs)")
    }

    @Test func everyLogLineAboutAModelNamesItsVersionAndTheDesiredCommit() async throws {
        let world = try await World()
        let serin = try await world.deployVersion1()
        try world.write(version: "2")
        try world.repository.commit("iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")

        let head = try world.repository.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = serin.text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let aboutIris = lines.filter { ($0["model"] as? String) == "ml/iris" }
        #expect(aboutIris.count >= 10, "\(serin.text)")
        for line in aboutIris {
            #expect(line["version"] is String && line["desiredCommit"] is String, "\(line)")
        }
        #expect(aboutIris.contains { ($0["desiredCommit"] as? String).map { head.hasPrefix($0) } ?? false }, "\(serin.text)")
    }

    @Test func aWebhookThatReachesTheStandbyIsPassedOnToTheLeader() async throws {
        let world = try await World()
        let (_, standby) = try await world.startLeaderElectingPair()

        try world.write(version: "2")
        try world.repository.commit("iris v2")
        #expect(try await world.announcePush(to: standby) == 202)
        // The poll interval is an hour: only the standby's signal through the Lease explains a rollout now.
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)", within: .seconds(45)), "\(world.logs)")
        #expect(await standby.line(containing: "passed the webhook on to the leader") != nil, "\(standby.text)")
        #expect(!standby.text.contains(#""phase":"#), "the standby wrote nothing: \(standby.text)")
    }

    @Test func twoLeaderElectingOperatorsHaveOneLeaderAndTheOtherTakesOverWhenItIsKilled() async throws {
        let world = try await World()
        let (leader, standby) = try await world.startLeaderElectingPair()
        // Give the standby a few of its retries to show it stays one.
        try await Task.sleep(for: .seconds(5))
        #expect(!standby.text.contains("became leader"), "\(world.logs)")
        #expect(world.transitions(of: "v1").count == Set(world.transitions(of: "v1")).count, "\(world.transitions(of: "v1"))")
        // The standby watches but never writes: every object and ledger entry so far is the leader's.
        #expect(!standby.text.contains(#""object":"Deployment"#) && !standby.text.contains(#""phase":"#), "\(standby.text)")
        #expect(leader.text.contains(#""object":"Deployment ml/iris-1-"#), "\(leader.text)")

        try world.write(version: "2")
        try world.repository.commit("iris v2")
        leader.kill()
        // 15 s lease: the standby should lead well within 25 s, plus slack for a loaded machine.
        #expect(await standby.line(containing: "became leader", within: .seconds(40)) != nil, "\(world.logs)")
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")
        let transitions = world.transitions(of: "v2")
        #expect(transitions.filter { $0.hasPrefix("Progressing") } == ["Progressing 50%", "Progressing 100%"], "\(transitions)")
    }
}
