import Foundation
import KubeEmulator
import SerinCore
import SerinKube
import SerinKubeRuntime
import Testing

/// A revision deployed through the runtime, read back with the real kubectl.
@Suite("Deploying revisions on Kubernetes")
struct DeployTests {
    @Test func deployCreatesTheDeploymentAndServicesWithExactlySerinsFields() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let revision = v1.revision
            try await harness.runtime.perform([.deploy(revision, replicas: 2), .route(.all(to: revision))],
                                              key: RuntimeHarness.iris, desired: v1)
            let name = ObjectNames.revision(RuntimeHarness.iris, revision)
            #expect(name == "iris-1-\(revision.shortDigest)")

            let deployment = try #require(try await harness.kubectlGet("deployment", name))
            let labels: JSONValue = ["app.kubernetes.io/managed-by": "serin", "serin.dev/model": "iris",
                                     "serin.dev/revision": .string(revision.digest), "app.kubernetes.io/name": "iris",
                                     "app.kubernetes.io/version": "1"]
            #expect(deployment[path: "metadata", "labels"] == labels)
            #expect(deployment[path: "spec", "replicas"] == 2)
            #expect(deployment[path: "spec", "selector", "matchLabels"] == [
                "app.kubernetes.io/managed-by": "serin", "serin.dev/model": "iris", "serin.dev/revision": .string(revision.digest)])
            #expect(deployment[path: "spec", "template", "metadata", "labels"] == labels)
            let recorded = try #require(deployment[path: "metadata", "annotations", "serin.dev/spec"]?.stringValue)
            #expect(try model(recorded) == v1)

            let container = try #require(deployment[path: "spec", "template", "spec", "containers"]?.arrayValue?.first)
            #expect(deployment[path: "spec", "template", "spec", "containers"]?.arrayValue?.count == 1)
            #expect(container["image"] == "seldonio/mlserver:1.7.1")
            #expect(container["command"] == nil)
            #expect(container["args"] == ["--model-uri=s3://models/iris/1", "--port=9000"])
            #expect(container["env"] == [["name": "MODEL_NAME", "value": "iris"], ["name": "MODEL_VERSION", "value": "v1"]])
            #expect(container["ports"] == [["name": "http", "containerPort": 9000, "protocol": "TCP"]])
            #expect(container["resources"] == [
                "requests": ["cpu": "1", "memory": "2Gi", "nvidia.com/gpu": "1"],
                "limits": ["memory": "4Gi", "nvidia.com/gpu": "1"],
            ])
            #expect(container[path: "readinessProbe", "httpGet"] == ["path": "/v2/health/ready", "port": "http"])
            #expect(container[path: "livenessProbe", "httpGet"] == ["path": "/v2/health/live", "port": "http"])
            #expect(container[path: "startupProbe", "httpGet"] == ["path": "/v2/health/live", "port": "http"])

            let service = try #require(try await harness.kubectlGet("service", name))
            #expect(service[path: "metadata", "labels"] == labels)
            #expect(service[path: "spec", "selector"] == [
                "app.kubernetes.io/managed-by": "serin", "serin.dev/model": "iris", "serin.dev/revision": .string(revision.digest)])
            #expect(service[path: "spec", "ports"] == [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]])

            let stable = try #require(try await harness.kubectlGet("service", "iris"))
            #expect(stable[path: "metadata", "labels"] == [
                "app.kubernetes.io/managed-by": "serin", "serin.dev/model": "iris", "app.kubernetes.io/name": "iris"])
            #expect(stable[path: "spec", "selector"] == ["app.kubernetes.io/managed-by": "serin", "serin.dev/model": "iris"])
            #expect(stable[path: "spec", "ports"] == [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]])

            let created = try await harness.events(about: name).filter { $0["reason"] == "Created" }
            #expect(created.compactMap { $0[path: "involvedObject", "kind"]?.stringValue }.sorted() == ["Deployment", "Service"])
            #expect(created.allSatisfy { $0["type"] == "Normal" && $0[path: "source", "component"] == "serin" })
            #expect(try await harness.runtime.deployedModels() == [RuntimeHarness.iris])
        }
    }

    @Test func readinessFollowsTheDeploymentControllerAndChangesAnnounceIt() async throws {
        var options = KubeEmulatorOptions()
        // Long enough that a loaded machine still sees it starting before it is ready.
        options.deploymentReadyAfter = .seconds(2)
        try await RuntimeHarness.with(options) { harness in
            let v1 = try iris("1")
            let changes = await harness.runtime.changes()
            try await harness.runtime.perform([.deploy(v1.revision, replicas: 2)], key: RuntimeHarness.iris, desired: v1)
            #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest] != nil })
            let starting = try #require(try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest])
            #expect(!starting.isReady)
            #expect(!starting.hasFailed)
            #expect(starting.message?.contains("waiting for deployment") == true)

            let heard = KeyLog()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await key in changes { await heard.append(key) } }
                #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest]?.isReady == true })
                // The change that made it ready was announced, so the loop reconciles at once rather than at the next resync.
                #expect(await eventually { await heard.keys.contains(RuntimeHarness.iris) })
                group.cancelAll()
            }
            let ready = try #require(try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest])
            #expect(ready.isReady)
            #expect(ready.message?.contains("2 of 2 replicas available") == true)
            #expect(try await harness.kubectl.succeed(["rollout", "status", "deployment/\(ObjectNames.revision(RuntimeHarness.iris, v1.revision))", "-n", "ml", "--timeout=5s"])
                .contains("successfully rolled out"))
        }
    }

    @Test func aDeploymentPastItsProgressDeadlineHasFailed() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .milliseconds(100)
        let v1 = try iris("1")
        try await RuntimeHarness.with(options, beforeStart: { emulator, _ in
            await emulator.setDeploymentBehaviour(namespace: "ml", name: ObjectNames.revision(RuntimeHarness.iris, v1.revision),
                                                  .exceedsProgressDeadline)
        }) { harness in
            try await harness.runtime.perform([.deploy(v1.revision, replicas: 2)], key: RuntimeHarness.iris, desired: v1)
            #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest]?.hasFailed == true })
            let failed = try #require(try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest])
            #expect(!failed.isReady)
            #expect(failed.message?.contains("exceeded its progress deadline") == true)
        }
    }

    @Test func aCrashLoopingPodFailsItsRevisionBeforeAnyDeadline() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .milliseconds(100)
        let v1 = try iris("1")
        try await RuntimeHarness.with(options, beforeStart: { emulator, _ in
            await emulator.setDeploymentBehaviour(namespace: "ml", name: ObjectNames.revision(RuntimeHarness.iris, v1.revision), .neverReady)
        }) { harness in
            try await harness.runtime.perform([.deploy(v1.revision, replicas: 1)], key: RuntimeHarness.iris, desired: v1)
            // The emulator runs no kubelet: the pod the ReplicaSet would create is written here, as the kubelet
            // reports a container that keeps exiting.
            let deployment = try #require(try await harness.get(.deployments, ObjectNames.revision(RuntimeHarness.iris, v1.revision)))
            let labels = deployment[path: "spec", "template", "metadata", "labels"] ?? [:]
            var pod = try await harness.client.create(.pods, [
                "metadata": ["name": "iris-1-pod", "namespace": "ml", "labels": labels],
                "spec": ["containers": [["name": "model", "image": "seldonio/mlserver:1.7.1"]]],
            ])
            #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest] != nil })
            #expect(try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest]?.hasFailed == false)
            pod["status"] = ["phase": "Running", "containerStatuses": [[
                "name": "model", "ready": false, "restartCount": 4, "image": "seldonio/mlserver:1.7.1", "imageID": "",
                "state": ["waiting": ["reason": "CrashLoopBackOff",
                                      "message": "back-off 1m20s restarting failed container=model pod=iris-1-pod_ml"]],
            ]]]
            _ = try await harness.client.updateStatus(.pods, pod)
            #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest]?.hasFailed == true })
            let failed = try #require(try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest])
            #expect(!failed.isReady)
            #expect(failed.message == "pod iris-1-pod: container model is in CrashLoopBackOff after 4 restarts: back-off 1m20s restarting failed container=model pod=iris-1-pod_ml")
        }
    }

    @Test func aDeploymentThatNeverBecomesReadyIsWaitedFor() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .milliseconds(100)
        let v1 = try iris("1")
        try await RuntimeHarness.with(options, beforeStart: { emulator, _ in
            await emulator.setDeploymentBehaviour(namespace: "ml", name: ObjectNames.revision(RuntimeHarness.iris, v1.revision), .neverReady)
        }) { harness in
            try await harness.runtime.perform([.deploy(v1.revision, replicas: 2)], key: RuntimeHarness.iris, desired: v1)
            #expect(await eventually {
                try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest]?.message?.contains("0 of 2 updated replicas are available") == true
            })
            let waiting = try #require(try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest])
            #expect(!waiting.isReady && !waiting.hasFailed)
        }
    }

    @Test func aSteadyStateMakesNoWrites() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let v2 = try iris("2")
            let actions: [RolloutAction] = [.deploy(v2.revision, replicas: 2), .deploy(v1.revision, replicas: 2),
                                            .route(TrafficSplit(stable: v1.revision, canary: v2.revision, canaryWeight: 10))]
            try await harness.runtime.perform([.deploy(v1.revision, replicas: 2)], key: RuntimeHarness.iris, desired: v1)
            try await harness.settle(actions, desired: v2)
            #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris).values.allSatisfy(\.isReady) })
            let mark = await harness.requestCount()
            for _ in 0..<5 {
                try await harness.runtime.perform(actions, key: RuntimeHarness.iris, desired: v2)
                _ = try await harness.runtime.workloads(of: RuntimeHarness.iris)
            }
            let requests = await harness.emulator.requests().dropFirst(mark)
            #expect(requests.filter { $0.method != "GET" }.isEmpty, "\(requests.map { "\($0.method) \($0.path)" })")
            // Reads came from the informers' caches: nothing but their watches touched the API.
            #expect(requests.filter { !$0.query.contains("watch") }.isEmpty, "\(requests.map { "\($0.method) \($0.path)?\($0.query)" })")
        }
    }

    @Test func aRevisionThatIsNoLongerDesiredIsRebuiltFromItsRecordedSpec() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let v2 = try iris("2")
            try await harness.settle([.deploy(v1.revision, replicas: 2)], desired: v1)
            // v2 is desired; v1 must be resized without its document, then recreated after being deleted by hand.
            try await harness.settle([.deploy(v1.revision, replicas: 3), .deploy(v2.revision, replicas: 3)], desired: v2)
            let name = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            #expect(try await harness.get(.deployments, name)?[path: "spec", "replicas"] == 3)
            try await harness.kubectl.succeed(["delete", "deployment", name, "-n", "ml"])
            #expect(await eventually { try await harness.runtime.workloads(of: RuntimeHarness.iris)[v1.revision.digest] == nil })
            try await harness.settle([.deploy(v1.revision, replicas: 3), .deploy(v2.revision, replicas: 3)], desired: v2)
            let rebuilt = try #require(try await harness.get(.deployments, name))
            #expect(rebuilt[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["args"] == ["--model-uri=s3://models/iris/1", "--port=9000"])
            #expect(try model(rebuilt[path: "metadata", "annotations", "serin.dev/spec"]?.stringValue ?? "") == v1)
        }
    }

    @Test func aRevisionWithNoRecordedSpecLeftIsAnErrorThatSaysWhatToDo() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1")
            let v2 = try iris("2")
            do {
                try await harness.runtime.perform([.deploy(v1.revision, replicas: 2)], key: RuntimeHarness.iris, desired: v2)
                Issue.record("deploying a revision with no spec anywhere succeeded")
            } catch let error as KubernetesRuntimeError {
                #expect(error == .noRecordedSpec(RuntimeHarness.iris, v1.revision))
                #expect(error.description.contains("Commit that revision's document again"))
            }
        }
    }
}

/// Keys heard from `changes()`.
actor KeyLog {
    private(set) var keys: [DeploymentKey] = []
    func append(_ key: DeploymentKey) { keys.append(key) }
}
