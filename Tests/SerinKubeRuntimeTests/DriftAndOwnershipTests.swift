import Foundation
import SerinCore
import SerinKube
import SerinKubeRuntime
import Testing

/// Changes made by hand to objects Serin owns are reverted and recorded; objects Serin does not own are never
/// touched, whatever their name.
@Suite("Drift and ownership on Kubernetes")
struct DriftAndOwnershipTests {
    private func revert(_ harness: RuntimeHarness, _ actions: [RolloutAction], desired: ModelDeployment,
                        until reverted: @escaping () async throws -> Bool) async -> Bool {
        await eventually {
            try await harness.runtime.perform(actions, key: RuntimeHarness.iris, desired: desired)
            return try await reverted()
        }
    }

    @Test func kubectlScaleIsRevertedAndAnEventSaysSo() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let actions: [RolloutAction] = [.deploy(v1.revision, replicas: 2), .route(.all(to: v1.revision))]
            try await harness.settle(actions, desired: v1)
            let name = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            try await harness.kubectl.succeed(["scale", "deployment/\(name)", "-n", "ml", "--replicas=5"])
            #expect(try await harness.get(.deployments, name)?[path: "spec", "replicas"] == 5)
            let mark = await harness.requestCount()
            #expect(await revert(harness, actions, desired: v1) {
                try await harness.get(.deployments, name)?[path: "spec", "replicas"] == 2
            })
            // One update put it back, carrying the resourceVersion it was computed from.
            let writes = await harness.writes(since: mark).filter { $0.status < 300 }
            #expect(writes.map(\.method) == ["PUT"], "\(writes.map { "\($0.method) \($0.path)" })")
            let drift = try await harness.events(about: name).filter { $0["reason"] == "DriftReverted" }
            #expect(drift.count == 1)
            #expect(drift.first?["type"] == "Warning")
            #expect(drift.first?[path: "involvedObject", "kind"] == "Deployment")
            #expect(drift.first?["message"]?.stringValue?.contains("spec.replicas was 5, set to 2") == true)
        }
    }

    @Test func kubectlSetImageIsRevertedAndAnEventSaysSo() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let actions: [RolloutAction] = [.deploy(v1.revision, replicas: 2), .route(.all(to: v1.revision))]
            try await harness.settle(actions, desired: v1)
            let name = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            try await harness.kubectl.succeed(["set", "image", "deployment/\(name)", "-n", "ml", "model=evil/mlserver:latest"])
            let image: () async throws -> JSONValue? = {
                try await harness.get(.deployments, name)?[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]
            }
            #expect(try await image() == "evil/mlserver:latest")
            #expect(await revert(harness, actions, desired: v1) { try await image() == "seldonio/mlserver:1.7.1" })
            let drift = try await harness.events(about: name).filter { $0["reason"] == "DriftReverted" }
            #expect(drift.count == 1)
            #expect(drift.first?["message"]?.stringValue?.contains(
                #"spec.template.spec.containers[0].image was "evil/mlserver:latest", set to "seldonio/mlserver:1.7.1""#) == true)
            // What the server defaulted is not drift: the steady state after the revert writes nothing.
            try await harness.settle(actions, desired: v1)
            let mark = await harness.requestCount()
            try await harness.runtime.perform(actions, key: RuntimeHarness.iris, desired: v1)
            #expect(await harness.writes(since: mark).isEmpty)
        }
    }

    @Test func labelsAddedByOthersAndSerinsOwnChangesAreNotDrift() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            try await harness.settle([.deploy(v1.revision, replicas: 2)], desired: v1)
            let name = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            try await harness.kubectl.succeed(["label", "deployment/\(name)", "-n", "ml", "team=ml-platform"])
            // A label Serin does not set is not Serin's: nothing to revert.
            try await harness.settle([.deploy(v1.revision, replicas: 2)], desired: v1)
            #expect(try await harness.get(.deployments, name)?[path: "metadata", "labels", "team"] == "ml-platform")
            // A new replica count from Git is an update, not a revert.
            try await harness.settle([.deploy(v1.revision, replicas: 3)], desired: v1)
            let reasons = try await harness.events(about: name).filter { $0[path: "involvedObject", "kind"] == "Deployment" }
                .compactMap { $0["reason"]?.stringValue }
            #expect(reasons.sorted() == ["Created", "Updated"])
            #expect(try await harness.get(.deployments, name)?[path: "metadata", "labels", "team"] == "ml-platform")
        }
    }

    @Test func anUnownedObjectWithAClashingNameIsNeverTouchedAndTheErrorNamesIt() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let name = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            let manifest = try harness.kubectl.manifest("theirs.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: \(name), namespace: ml, labels: {app: theirs}}
            spec:
              replicas: 1
              selector: {matchLabels: {app: theirs}}
              template:
                metadata: {labels: {app: theirs}}
                spec: {containers: [{name: web, image: nginx:1.27}]}
            """)
            try await harness.kubectl.succeed(["apply", "-f", manifest, "--validate=false"])
            let before = try #require(try await harness.get(.deployments, name))
            let mark = await harness.requestCount()
            let actions: [RolloutAction] = [.deploy(v1.revision, replicas: 2), .remove(v1.revision)]
            for _ in 0..<2 {
                do {
                    try await harness.runtime.perform([actions[0]], key: RuntimeHarness.iris, desired: v1)
                    Issue.record("deploying over an unowned Deployment succeeded")
                } catch let error as KubernetesRuntimeError {
                    guard case .notOwned(let kind, let namespace, let clashing, _) = error else {
                        Issue.record("unexpected error \(error)")
                        continue
                    }
                    #expect(kind == "Deployment" && namespace == "ml" && clashing == name)
                    #expect(error.description.contains("Deployment ml/\(name) already exists and is not managed by Serin"))
                }
            }
            // remove() never deletes it either: it is not Serin's.
            try await harness.runtime.perform([actions[1]], key: RuntimeHarness.iris, desired: v1)
            // Not one write reached it (the create that found it taken went to the collection).
            let touched = await harness.writes(since: mark).filter { $0.path.hasSuffix("/deployments/\(name)") }
            #expect(touched.isEmpty, "\(touched.map { "\($0.method) \($0.path)" })")
            let after = try #require(try await harness.get(.deployments, name))
            #expect(after["spec"] == before["spec"])
            #expect(after[path: "metadata", "labels"] == ["app": "theirs"])
            #expect(after[path: "metadata", "generation"] == 1)
        }
    }

    @Test func aHandMadeServiceCalledLikeTheModelIsNotTakenOver() async throws {
        try await RuntimeHarness.with { harness in
            _ = try await harness.client.create(.services, [
                "metadata": ["name": "iris", "namespace": "ml"],
                "spec": ["selector": ["app": "legacy-iris"], "ports": [["port": 8080]]],
            ])
            let v1 = try iris("1")
            await #expect(throws: KubernetesRuntimeError.self) {
                try await harness.runtime.perform([.deploy(v1.revision, replicas: 1)], key: RuntimeHarness.iris, desired: v1)
            }
            do {
                try await harness.runtime.perform([.deploy(v1.revision, replicas: 1)], key: RuntimeHarness.iris, desired: v1)
            } catch {
                #expect("\(error)".contains("Service ml/iris already exists and is not managed by Serin"))
            }
            #expect(try await harness.get(.services, "iris")?[path: "spec", "selector"] == ["app": "legacy-iris"])
        }
    }

    @Test func removeDeletesTheRevisionAndTheLastRemovalTheStableService() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let v2 = try iris("2")
            let old = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            let new = ObjectNames.revision(RuntimeHarness.iris, v2.revision)
            try await harness.settle([.deploy(v1.revision, replicas: 1)], desired: v1)
            try await harness.settle([.deploy(v1.revision, replicas: 1), .deploy(v2.revision, replicas: 1)], desired: v2)
            let mark = await harness.requestCount()
            try await harness.settle([.deploy(v2.revision, replicas: 1), .route(.all(to: v2.revision)), .remove(v1.revision)], desired: v2)
            let deletes = await harness.writes(since: mark).filter { $0.method == "DELETE" && $0.status < 300 }
            #expect(deletes.map(\.path).sorted() == ["/api/v1/namespaces/ml/services/\(old)", "/apis/apps/v1/namespaces/ml/deployments/\(old)"])
            #expect(try await harness.kubectlGet("deployment", old) == nil)
            #expect(try await harness.kubectlGet("service", old) == nil)
            #expect(try await harness.get(.services, "iris") != nil)
            #expect(try await harness.events(about: old).contains { $0["reason"] == "Deleted" })

            // The model leaves Git: no traffic, its last revision deleted, and with it the stable Service.
            try await harness.settle([.route(.none), .remove(v2.revision)], desired: nil)
            #expect(try await harness.get(.deployments, new) == nil)
            #expect(try await harness.get(.services, new) == nil)
            #expect(try await harness.get(.services, "iris") == nil)
            #expect(await eventually { try await harness.runtime.deployedModels().isEmpty })
        }
    }
}
