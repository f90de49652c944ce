import KubeEmulator
import SerinCore
import Testing

/// The real kubectl against the emulator: whenever they disagree, the emulator is wrong.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed"))
struct KubectlTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: model
                image: example/model:IMAGE
        """

    @Test func applyCreatesThenPatchesWithAStrategicMergePatch() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let first = try kubectl.manifest("d1.yaml", Self.deployment.replacingOccurrences(of: "IMAGE", with: "1"))
            let created = try await kubectl.run(["apply", "-f", first])
            #expect(created.status == 0, "\(created.error)")
            #expect(created.output.contains("deployment.apps/web created"))
            let second = try kubectl.manifest("d2.yaml", Self.deployment.replacingOccurrences(of: "IMAGE", with: "2"))
            let configured = try await kubectl.run(["apply", "-f", second])
            #expect(configured.status == 0, "\(configured.error)")
            #expect(configured.output.contains("deployment.apps/web configured"))
            let read = try await kubectl.run(["get", "deployment", "web", "-o", "json"])
            let object = try JSONValue(parsing: read.output)
            #expect(object[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["image"] == "example/model:2")
            #expect(object[path: "metadata", "generation"] == 2)
            let patches = await emulator.emulator.requests().filter { $0.method == "PATCH" }
            #expect(patches.map(\.contentType) == ["application/strategic-merge-patch+json"])
        }
    }

    @Test func createGetPatchScaleAndDeleteAConfigMapAndADeployment() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let manifest = try kubectl.manifest("d.yaml", Self.deployment.replacingOccurrences(of: "IMAGE", with: "1"))
            #expect(try await kubectl.run(["create", "-f", manifest]).status == 0)
            let merge = try await kubectl.run(["patch", "deployment", "web", "--type", "merge", "-p", #"{"metadata":{"labels":{"tier":"x"}}}"#])
            #expect(merge.status == 0, "\(merge.error)")
            let json = try await kubectl.run(["patch", "deployment", "web", "--type", "json", "-p",
                                              #"[{"op":"replace","path":"/spec/replicas","value":4}]"#])
            #expect(json.status == 0, "\(json.error)")
            let scaled = try await kubectl.run(["scale", "deployment/web", "--replicas=5"])
            #expect(scaled.status == 0, "\(scaled.error)")
            let read = try JSONValue(parsing: try await kubectl.run(["get", "deployment", "web", "-o", "json"]).output)
            #expect(read[path: "spec", "replicas"] == 5)
            #expect(read[path: "metadata", "labels", "tier"] == "x")
            let deleted = try await kubectl.run(["delete", "deployment", "web"])
            #expect(deleted.status == 0, "\(deleted.error)")
            let gone = try await kubectl.run(["get", "deployment", "web", "-o", "json"])
            #expect(gone.status != 0)
            #expect(gone.error.contains(#"deployments.apps "web" not found"#))
        }
    }

    @Test func rolloutStatusFinishesWhenTheDeploymentCompletes() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let manifest = try kubectl.manifest("d.yaml", Self.deployment.replacingOccurrences(of: "IMAGE", with: "1"))
            #expect(try await kubectl.run(["apply", "-f", manifest]).status == 0)
            let rollout = try await kubectl.run(["rollout", "status", "deployment/web", "--timeout=20s"])
            #expect(rollout.status == 0, "\(rollout.error)")
            #expect(rollout.output.contains(#"deployment "web" successfully rolled out"#))
            let watches = await emulator.emulator.requests().filter { $0.query.contains("watch=true") }
            #expect(watches.allSatisfy { $0.query.contains("fieldSelector=metadata.name%3Dweb") })
        }
    }

    @Test func rolloutStatusFailsWhenTheDeploymentExceedsItsProgressDeadline() async throws {
        try await withEmulator { emulator in
            await emulator.emulator.setDeploymentBehaviour(namespace: "default", name: "web", .exceedsProgressDeadline)
            let kubectl = try Kubectl.make(for: emulator)
            let manifest = try kubectl.manifest("d.yaml", Self.deployment.replacingOccurrences(of: "IMAGE", with: "1"))
            #expect(try await kubectl.run(["apply", "-f", manifest]).status == 0)
            let rollout = try await kubectl.run(["rollout", "status", "deployment/web", "--timeout=20s"])
            #expect(rollout.status != 0)
            #expect(rollout.error.contains(#"deployment "web" exceeded its progress deadline"#))
        }
    }

    @Test func getWatchStreamsEventsAsTheyHappen() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let manifest = try kubectl.manifest("d.yaml", Self.deployment.replacingOccurrences(of: "IMAGE", with: "1"))
            #expect(try await kubectl.run(["create", "-f", manifest]).status == 0)
            async let watched = kubectl.run(["get", "deployment", "web", "--watch", "-o", "json"], timeout: .seconds(20),
                                            until: { $0.contains(#""watched": "yes""#) })
            try await emulator.waitForWatch(on: Fixtures.deployments)
            _ = try await emulator.http.mergePatch(Fixtures.deployments + "/web", ["metadata": ["labels": ["watched": "yes"]]])
            let result = try await watched
            #expect(result.stoppedWhenSatisfied, "\(result.error)")
            #expect(result.output.contains(#""watched": "yes""#))
        }
    }

    @Test func aCustomResourceDefinitionThenOneOfItsResources() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let definition = try kubectl.manifest("crd.json", Fixtures.modelDeploymentCRD.serialized)
            let created = try await kubectl.run(["create", "-f", definition])
            #expect(created.status == 0, "\(created.error)")
            let resource = try kubectl.manifest("md.json", Fixtures.modelDeployment("iris", version: "3").serialized)
            let made = try await kubectl.run(["create", "-f", resource])
            #expect(made.status == 0, "\(made.error)")
            #expect(made.output.contains("modeldeployment.serin.dev/iris created"))
            let read = try JSONValue(parsing: try await kubectl.run(["get", "md", "iris", "-o", "json"]).output)
            #expect(read[path: "spec", "model", "version"] == "3")
            let applied = try kubectl.manifest("md2.json", Fixtures.modelDeployment("iris", version: "4").serialized)
            let apply = try await kubectl.run(["apply", "-f", applied])
            #expect(apply.status == 0, "\(apply.error)")
            let patches = await emulator.emulator.requests().filter { $0.method == "PATCH" }
            #expect(patches.allSatisfy { $0.contentType == "application/merge-patch+json" })
            let after = try JSONValue(parsing: try await kubectl.run(["get", "md", "iris", "-o", "json"]).output)
            #expect(after[path: "spec", "model", "version"] == "4")
            #expect(after[path: "metadata", "generation"] == 2)
        }
    }
}

/// `kubectl get --watch` on kinds outside kubectl's scheme: an HTTPRoute (a CRD in a real cluster) and a custom
/// resource, decoded as unstructured objects, where a watch could fail to print while a Deployment's does. Each test
/// changes the object only once the emulator has answered kubectl's watch, so the change can reach kubectl only as a
/// MODIFIED event: a change between kubectl's GET and its watch would come as the synthetic ADDED event that kubectl
/// skips for a named object, and would not be printed against a real server either.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed"))
struct KubectlWatchTests {
    static let routes = "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes"
    static let route: JSONValue = [
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": ["name": "iris", "namespace": "default"],
        "spec": [
            "parentRefs": [["name": "inference-gateway"]],
            "rules": [[
                "matches": [["path": ["type": "PathPrefix", "value": "/v2/models/iris"]]],
                "backendRefs": [["name": "iris", "port": 80]],
            ]],
        ],
    ]
    static let labelled = "{.metadata.name} watched={.metadata.labels.watched}{\"\\n\"}"

    @Test func getWatchWithJSONPathPrintsAnHTTPRouteChange() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            #expect(try await emulator.http.post(Self.routes, Self.route).status == 201)
            async let watched = kubectl.run(["get", "httproute", "iris", "--watch", "-o", "jsonpath=" + Self.labelled],
                                            timeout: .seconds(20), until: { $0.contains("iris watched=yes\n") })
            try await emulator.waitForWatch(on: Self.routes)
            #expect(try await emulator.http.mergePatch(Self.routes + "/iris", ["metadata": ["labels": ["watched": "yes"]]]).status == 200)
            let result = try await watched
            #expect(result.stoppedWhenSatisfied, "\(result.error)")
            #expect(result.output == "iris watched=\niris watched=yes\n")
        }
    }

    @Test func getWatchOfAllHTTPRoutesPrintsARowForAChange() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            #expect(try await emulator.http.post(Self.routes, Self.route).status == 201)
            @Sendable func rows(_ output: String) -> [Substring] { output.split(separator: "\n").filter { $0.hasPrefix("iris ") } }
            async let watched = kubectl.run(["get", "httproutes", "--watch"], timeout: .seconds(20),
                                            until: { rows($0).count >= 2 })
            try await emulator.waitForWatch(on: Self.routes)
            #expect(try await emulator.http.mergePatch(Self.routes + "/iris", ["metadata": ["labels": ["watched": "yes"]]]).status == 200)
            let result = try await watched
            #expect(result.stoppedWhenSatisfied, "\(result.error)")
            #expect(rows(result.output).count == 2)
        }
    }

    @Test func getWatchAsJSONPrintsACustomResourceChange() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let definitions = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
            #expect(try await emulator.http.post(definitions, Fixtures.modelDeploymentCRD).status == 201)
            #expect(try await emulator.http.post(Fixtures.modelDeployments, Fixtures.modelDeployment("iris", version: "3")).status == 201)
            async let watched = kubectl.run(["get", "modeldeployment", "iris", "--watch", "-o", "json"],
                                            timeout: .seconds(20), until: { $0.contains(#""version": "4""#) })
            try await emulator.waitForWatch(on: Fixtures.modelDeployments)
            #expect(try await emulator.http.mergePatch(Fixtures.modelDeployments + "/iris", ["spec": ["model": ["version": "4"]]]).status == 200)
            let result = try await watched
            #expect(result.stoppedWhenSatisfied, "\(result.error)")
            #expect(result.output.contains(#""version": "3""#))
            #expect(result.output.contains(#""version": "4""#))
        }
    }

    @Test func getWatchWithJSONPathPrintsACustomResourceChange() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            let definitions = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
            #expect(try await emulator.http.post(definitions, Fixtures.modelDeploymentCRD).status == 201)
            #expect(try await emulator.http.post(Fixtures.modelDeployments, Fixtures.modelDeployment("iris", version: "3")).status == 201)
            async let watched = kubectl.run(["get", "md", "iris", "--watch", "-o", "jsonpath=" + Self.labelled],
                                            timeout: .seconds(20), until: { $0.contains("iris watched=yes\n") })
            try await emulator.waitForWatch(on: Fixtures.modelDeployments)
            #expect(try await emulator.http.mergePatch(Fixtures.modelDeployments + "/iris", ["metadata": ["labels": ["watched": "yes"]]]).status == 200)
            let result = try await watched
            #expect(result.stoppedWhenSatisfied, "\(result.error)")
            #expect(result.output == "iris watched=\niris watched=yes\n")
        }
    }
}

/// kubectl's generators send protobuf bodies; the emulator reads those of the common kinds.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed"))
struct KubectlGeneratorTests {
    @Test func createNamespaceConfigMapSecretAndDeploymentFromGenerators() async throws {
        try await withEmulator { emulator in
            let kubectl = try Kubectl.make(for: emulator)
            #expect(try await kubectl.run(["create", "namespace", "ml"]).status == 0)
            let configMap = try await kubectl.run(["-n", "ml", "create", "configmap", "c", "--from-literal=a=b"])
            #expect(configMap.status == 0, "\(configMap.error)")
            let secret = try await kubectl.run(["-n", "ml", "create", "secret", "generic", "s", "--from-literal=p=q"])
            #expect(secret.status == 0, "\(secret.error)")
            let deployment = try await kubectl.run(["-n", "ml", "create", "deployment", "d", "--image=example/model:1", "--replicas=3"])
            #expect(deployment.status == 0, "\(deployment.error)")
            let config = try await emulator.http.get("/api/v1/namespaces/ml/configmaps/c").json
            #expect(config["data"] == ["a": "b"])
            #expect(try await emulator.http.get("/api/v1/namespaces/ml/secrets/s").json["data"] == ["p": "cQ=="])
            let created = try await emulator.http.get("/apis/apps/v1/namespaces/ml/deployments/d").json
            #expect(created[path: "spec", "replicas"] == 3)
            #expect(created[path: "spec", "selector", "matchLabels"] == ["app": "d"])
            let rollout = try await kubectl.run(["-n", "ml", "rollout", "status", "deployment/d", "--timeout=20s"])
            #expect(rollout.status == 0, "\(rollout.error)")
        }
    }
}
