import KubeEmulator
import SerinCore
import Testing

/// Storage rules over real HTTP: server-set metadata, optimistic concurrency, generation, no-op writes,
/// namespaces, finalizers and cascading deletion.
@Suite struct StorageSemanticsTests {
    @Test func createSetsServerMetadataAndADuplicateIsAlreadyExists() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("a"))
            #expect(created.status == 201)
            #expect(created.json[path: "metadata", "generation"] == 1)
            #expect(created.json[path: "metadata", "uid"]?.stringValue?.count == 36)
            #expect(created.json[path: "metadata", "creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(created.json[path: "spec", "strategy", "type"] == "RollingUpdate")
            let duplicate = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("a"))
            #expect(duplicate.status == 409)
            #expect(duplicate.json["reason"] == "AlreadyExists")
            #expect(duplicate.json["message"] == #"deployments.apps "a" already exists"#)
            #expect(duplicate.json["details"] == ["name": "a", "group": "apps", "kind": "deployments"])
        }
    }

    @Test func getOfAMissingObjectIsNotFoundWithTheRealMessage() async throws {
        try await withEmulator { emulator in
            let missing = try await emulator.http.get(Fixtures.deployments + "/nope")
            #expect(missing.status == 404)
            #expect(missing.json["message"] == #"deployments.apps "nope" not found"#)
            let core = try await emulator.http.get(Fixtures.configMaps + "/nope")
            #expect(core.json["message"] == #"configmaps "nope" not found"#)
            #expect(core.json["details"] == ["name": "nope", "kind": "configmaps"])
            let unknown = try await emulator.http.get("/apis/does.not.exist/v1/things")
            #expect(unknown.status == 404)
            #expect(unknown.text == "404 page not found\n")
        }
    }

    @Test func updateWithAStaleResourceVersionIsAConflict() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .seconds(60)
        try await withEmulator(options) { emulator in
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("a"))
            // The simulated controller writes status once, at once; read after it has.
            var created = try await emulator.http.get(Fixtures.deployments + "/a").json
            let deadline = ContinuousClock.now + .seconds(10)
            while created[path: "status", "observedGeneration"] == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                created = try await emulator.http.get(Fixtures.deployments + "/a").json
            }
            var changed = created
            changed["spec"]?["replicas"] = 3
            let updated = try await emulator.http.put(Fixtures.deployments + "/a", changed)
            #expect(updated.status == 200)
            #expect(updated.json[path: "metadata", "generation"] == 2)
            changed["spec"]?["replicas"] = 4
            let stale = try await emulator.http.put(Fixtures.deployments + "/a", changed)
            #expect(stale.status == 409)
            #expect(stale.json["reason"] == "Conflict")
            #expect(stale.json["message"] == .string(#"Operation cannot be fulfilled on deployments.apps "a": the object has been modified; please apply your changes to the latest version and try again"#))
        }
    }

    @Test func deploymentGenerationMovesOnSpecAndAnnotationsButNotLabels() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("a"))
            let labelled = try await emulator.http.mergePatch(Fixtures.deployments + "/a", ["metadata": ["labels": ["tier": "x"]]])
            #expect(labelled.json[path: "metadata", "generation"] == 1)
            let annotated = try await emulator.http.mergePatch(Fixtures.deployments + "/a", ["metadata": ["annotations": ["note": "x"]]])
            #expect(annotated.json[path: "metadata", "generation"] == 2)
            let status = try await emulator.http.mergePatch(Fixtures.deployments + "/a/status", ["status": ["replicas": 9]])
            #expect(status.json[path: "metadata", "generation"] == 2)
        }
    }

    @Test func aWriteThatChangesNothingKeepsTheResourceVersion() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("c")).json
            let same = try await emulator.http.mergePatch(Fixtures.configMaps + "/c", ["data": ["k": "v"]]).json
            #expect(same[path: "metadata", "resourceVersion"] == created[path: "metadata", "resourceVersion"])
            let updated = try await emulator.http.put(Fixtures.configMaps + "/c", created).json
            #expect(updated[path: "metadata", "resourceVersion"] == created[path: "metadata", "resourceVersion"])
        }
    }

    @Test func customResourcesFollowTheirOwnRules() async throws {
        try await withEmulator { emulator in
            #expect(try await emulator.http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                                 Fixtures.modelDeploymentCRD).status == 201)
            let discovery = try await emulator.http.get("/apis/serin.dev/v1alpha1").json
            #expect(discovery["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                    == ["modeldeployments", "modeldeployments/status"])
            let created = try await emulator.http.post(Fixtures.modelDeployments, Fixtures.modelDeployment("m", version: "1"))
            #expect(created.status == 201)
            var withoutVersion = created.json
            withoutVersion["metadata"]?["resourceVersion"] = nil
            let unversioned = try await emulator.http.put(Fixtures.modelDeployments + "/m", withoutVersion)
            #expect(unversioned.status == 422)
            #expect(unversioned.json["message"] == .string(#"modeldeployments.serin.dev "m" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update"#))
            let strategic = try await emulator.http.send("PATCH", Fixtures.modelDeployments + "/m", body: ["spec": ["x": 1]],
                                                         contentType: "application/strategic-merge-patch+json")
            #expect(strategic.status == 415)
            let spec = try await emulator.http.mergePatch(Fixtures.modelDeployments + "/m", ["spec": ["model": ["version": "2"]]])
            #expect(spec.json[path: "metadata", "generation"] == 2)
            let status = try await emulator.http.mergePatch(Fixtures.modelDeployments + "/m/status", ["status": ["phase": "Ready"]])
            #expect(status.json[path: "metadata", "generation"] == 2)
            #expect(status.json[path: "status", "phase"] == "Ready")
            let ignored = try await emulator.http.mergePatch(Fixtures.modelDeployments + "/m", ["status": ["phase": "Other"]])
            #expect(ignored.json[path: "status", "phase"] == "Ready")
            #expect(ignored.json[path: "metadata", "resourceVersion"] == status.json[path: "metadata", "resourceVersion"])
        }
    }

    @Test func objectsInAMissingNamespaceAreNotFound() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.http.post("/api/v1/namespaces/ghost/configmaps", Fixtures.configMap("c"))
            #expect(answer.status == 404)
            #expect(answer.json["message"] == #"namespaces "ghost" not found"#)
            #expect(try await emulator.http.post("/api/v1/namespaces", ["metadata": ["name": "ghost"]]).status == 201)
            #expect(try await emulator.http.post("/api/v1/namespaces/ghost/configmaps", Fixtures.configMap("c")).status == 201)
        }
    }

    @Test func finalizersHoldDeletionUntilTheLastOneGoes() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("f", finalizers: ["serin.dev/test"]))
            let marked = try await emulator.http.delete(Fixtures.configMaps + "/f")
            #expect(marked.status == 200)
            #expect(marked.json["kind"] == "ConfigMap")
            #expect(marked.json[path: "metadata", "deletionTimestamp"] != nil)
            #expect(marked.json[path: "metadata", "deletionGracePeriodSeconds"] == 0)
            #expect(try await emulator.http.get(Fixtures.configMaps + "/f").status == 200)
            let released = try await emulator.http.mergePatch(Fixtures.configMaps + "/f", ["metadata": ["finalizers": nil]])
            #expect(released.status == 200)
            #expect(try await emulator.http.get(Fixtures.configMaps + "/f").status == 404)
        }
    }

    @Test func deletingAnOwnerDeletesItsDependentsInTheBackground() async throws {
        try await withEmulator { emulator in
            let owner = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("owner")).json
            let uid = try #require(owner[path: "metadata", "uid"]?.stringValue)
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("dependent", ownerUID: uid))
            let deleted = try await emulator.http.delete(Fixtures.deployments + "/owner")
            #expect(deleted.json["status"] == "Success")
            #expect(deleted.json[path: "details", "uid"] == .string(uid))
            #expect(try await emulator.http.get(Fixtures.configMaps + "/dependent").status == 404)
        }
    }

    @Test func dryRunPersistsNothing() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.http.post(Fixtures.configMaps + "?dryRun=All", Fixtures.configMap("d"))
            #expect(answer.status == 201)
            #expect(try await emulator.http.get(Fixtures.configMaps + "/d").status == 404)
        }
    }

    @Test func theScaleSubresourceReadsAndWritesReplicas() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("a"))
            let scale = try await emulator.http.get(Fixtures.deployments + "/a/scale").json
            #expect(scale["kind"] == "Scale")
            #expect(scale["apiVersion"] == "autoscaling/v1")
            #expect(scale[path: "spec", "replicas"] == 2)
            #expect(scale[path: "status", "selector"] == "app=a")
            let scaled = try await emulator.http.mergePatch(Fixtures.deployments + "/a/scale", ["spec": ["replicas": 5]])
            #expect(scaled.json[path: "spec", "replicas"] == 5)
            #expect(try await emulator.http.get(Fixtures.deployments + "/a").json[path: "spec", "replicas"] == 5)
        }
    }

    @Test func deletingANamespaceTakesItsObjectsWithIt() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post("/api/v1/namespaces", ["metadata": ["name": "ml"]])
            _ = try await emulator.http.post("/api/v1/namespaces/ml/configmaps", Fixtures.configMap("c"))
            let deleted = try await emulator.http.delete("/api/v1/namespaces/ml")
            #expect(deleted.status == 200)
            #expect(deleted.json[path: "status", "phase"] == "Terminating")
            #expect(try await emulator.http.get("/api/v1/namespaces/ml/configmaps/c").status == 404)
            #expect(try await emulator.http.get("/api/v1/namespaces/ml").status == 404)
            let protected = try await emulator.http.delete("/api/v1/namespaces/default")
            #expect(protected.status == 403)
            #expect(protected.json["message"] == #"namespaces "default" is forbidden: this namespace may not be deleted"#)
        }
    }

    @Test func deletingACollectionDeletesTheSelectedObjectsOnly() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("a", labels: ["tier": "x"]))
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("b"))
            #expect(try await emulator.http.delete(Fixtures.configMaps + "?labelSelector=tier%3Dx").status == 200)
            #expect(try await emulator.http.get(Fixtures.configMaps + "/a").status == 404)
            #expect(try await emulator.http.get(Fixtures.configMaps + "/b").status == 200)
        }
    }

    @Test func deletingADefinitionStopsServingItsResources() async throws {
        try await withEmulator { emulator in
            let definitions = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
            let created = try await emulator.http.post(definitions, Fixtures.modelDeploymentCRD)
            #expect(created.json[path: "status", "acceptedNames", "kind"] == "")
            let established = try await emulator.http.get(definitions + "/modeldeployments.serin.dev").json
            #expect(established[path: "status", "conditions"]?.arrayValue?.contains { $0["type"] == "Established" && $0["status"] == "True" } == true)
            _ = try await emulator.http.post(Fixtures.modelDeployments, Fixtures.modelDeployment("m", version: "1"))
            #expect(try await emulator.http.delete(definitions + "/modeldeployments.serin.dev").status == 200)
            #expect(try await emulator.http.get(Fixtures.modelDeployments + "/m").status == 404)
            #expect(try await emulator.http.get("/apis/serin.dev/v1alpha1").status == 404)
        }
    }
}
