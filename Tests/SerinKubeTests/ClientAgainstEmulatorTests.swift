import Foundation
import KubeEmulator
import SerinCore
import SerinKube
import Testing

func deployment(_ name: String, replicas: Int64 = 1) -> JSONValue {
    [
        "metadata": ["name": .string(name)],
        "spec": [
            "replicas": .integer(replicas),
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": [
                "metadata": ["labels": ["app": .string(name)]],
                "spec": ["containers": [["name": "model", "image": "docker.io/seldonio/mlserver:1.7.1"]]],
            ],
        ],
    ]
}

@Suite("Client against the emulator: CRUD and typed errors")
struct ClientAgainstEmulatorTests {
    @Test func createGetUpdatePatchAndDeleteAConfigMap() async throws {
        try await withEmulator { _, client, _ in
            let created = try await client.create(.configMaps, configMap("model-a", data: ["version": "1"], labels: ["app": "iris"]))
            #expect(created["metadata"]?["uid"]?.stringValue?.isEmpty == false)
            let version = try #require(created["metadata"]?["resourceVersion"]?.stringValue)

            let fetched = try await client.get(.configMaps, name: "model-a")
            #expect(fetched["data"]?["version"] == "1")
            #expect(fetched["metadata"]?["namespace"] == "default")

            var changed = fetched
            changed["data"] = ["version": "2"]
            let updated = try await client.update(.configMaps, changed)
            #expect(updated["data"]?["version"] == "2")
            #expect(updated["metadata"]?["resourceVersion"]?.stringValue != version)

            let merged = try await client.patch(.configMaps, name: "model-a", .merge(["data": ["uri": "s3://models/iris/2"]]))
            #expect(merged["data"] == ["version": "2", "uri": "s3://models/iris/2"])
            let jsonPatched = try await client.patch(.configMaps, name: "model-a",
                                                     .json([["op": "replace", "path": "/data/version", "value": "3"]]))
            #expect(jsonPatched["data"]?["version"] == "3")
            let strategic = try await client.patch(.configMaps, name: "model-a", .strategicMerge(["data": ["format": "sklearn"]]))
            #expect(strategic["data"]?["format"] == "sklearn")

            try await client.delete(.configMaps, name: "model-a")
            await #expect(throws: KubeError.self) { _ = try await client.get(.configMaps, name: "model-a") }
        }
    }

    @Test func staleResourceVersionIsAConflictAndRereadingResolvesIt() async throws {
        try await withEmulator { _, client, _ in
            let original = try await client.create(.configMaps, configMap("shared", data: ["n": "0"]))
            var first = original
            first["data"] = ["n": "1"]
            _ = try await client.update(.configMaps, first)

            var stale = original
            stale["data"] = ["n": "2"]
            do throws(KubeError) {
                _ = try await client.update(.configMaps, stale)
                Issue.record("a stale update succeeded")
            } catch {
                guard case .conflict(let status) = error else { Issue.record("got \(error)"); return }
                #expect(status.code == 409)
                #expect(error.description.contains("read the object again"))
            }

            // The usual retry: read the latest, reapply, write.
            var latest = try await client.get(.configMaps, name: "shared")
            latest["data"] = ["n": "2"]
            let stored = try await client.update(.configMaps, latest)
            #expect(stored["data"]?["n"] == "2")
        }
    }

    @Test func everyFailureBecomesItsTypedError() async throws {
        try await withEmulator { emulator, client, _ in
            _ = try await client.create(.configMaps, configMap("dup"))
            await expectError(try await client.create(.configMaps, configMap("dup"))) {
                if case .alreadyExists(let status) = $0 { return status.name == "dup" }
                return false
            }
            await expectError(try await client.get(.configMaps, name: "absent")) {
                if case .notFound(let status) = $0 { return status.code == 404 }
                return false
            }
            await expectError(try await client.create(.deployments, deployment("bad", replicas: -1))) {
                if case .invalid(let status) = $0 { return status.causes.contains { $0.field == "spec.replicas" } }
                return false
            }
            await expectError(try await client.list(.configMaps, options: ListOptions(labelSelector: "app in (a"))) {
                if case .badRequest = $0 { return true }
                return false
            }
            await expectError(try await client.patch(.configMaps, name: "dup", .json([["op": "test", "path": "/data/x", "value": "y"]]))) {
                if case .invalid = $0 { return true }
                return false
            }
            await expectError(try await client.delete(.configMaps, name: "dup", options: DeleteOptions(preconditionResourceVersion: "1"))) {
                if case .conflict = $0 { return true }
                return false
            }

            var faults = EmulatorFaults()
            faults.tooManyRequestsShare = 1
            faults.retryAfterSeconds = 4
            await emulator.setFaults(faults)
            await expectError(try await client.get(.configMaps, name: "dup")) {
                if case .tooManyRequests(_, let retryAfter) = $0 { return retryAfter == .seconds(4) }
                return false
            }
            faults = EmulatorFaults()
            faults.internalErrorShare = 1
            await emulator.setFaults(faults)
            await expectError(try await client.get(.configMaps, name: "dup")) {
                if case .serverError(let status) = $0 { return status.code == 500 }
                return false
            }
            await emulator.setFaults(EmulatorFaults())

            await emulator.setAcceptedTokens(["someone-else"])
            await expectError(try await client.get(.configMaps, name: "dup")) {
                if case .unauthorized = $0 { return !$0.description.contains("someone-else") }
                return false
            }
        }
    }

    @Test func unreachableServerIsATransportErrorWithLibcurlsMessage() async throws {
        let client = KubeClient(configuration: KubeConfiguration(server: "http://127.0.0.1:1", connectTimeout: .seconds(2)),
                                logger: Quiet.logger)
        await expectError(try await client.get(.configMaps, name: "x")) {
            if case .transport(let message) = $0 { return message.contains("connect") || message.contains("Connect") }
            return false
        }
    }

    @Test func oversizedBodiesAreRefusedNotBuffered() async throws {
        try await withEmulator { emulator, _, scratch in
            try emulator.writeKubeconfig(to: scratch.path + "/small", token: nil)
            var configuration = try KubeConfiguration.kubeconfig(path: scratch.path + "/small")
            configuration.maxResponseBytes = 64
            let client = KubeClient(configuration: configuration, logger: Quiet.logger)
            await expectError(try await client.list(.namespaces)) {
                if case .invalidResponse(let message) = $0 { return message.contains("64-byte limit") }
                return false
            }
        }
    }

    @Test func listFollowsContinueTokensAndFiltersByLabel() async throws {
        try await withEmulator { emulator, client, _ in
            for index in 0..<25 {
                _ = try await client.create(.configMaps, configMap("page-\(index)", labels: ["tier": index % 5 == 0 ? "gold" : "silver"]))
            }
            let all = try await client.list(.configMaps, namespace: "default", options: ListOptions(limit: 10))
            #expect(all.items.count >= 25)
            let names = Set(all.items.compactMap { $0["metadata"]?["name"]?.stringValue })
            let expected = Set((0..<25).map { "page-\($0)" })
            #expect(names.isSuperset(of: expected))
            #expect(all.items.allSatisfy { $0["kind"] == "ConfigMap" })
            #expect(!all.resourceVersion.isEmpty)
            let pages = await emulator.requests().filter { $0.path == "/api/v1/namespaces/default/configmaps" && $0.query.contains("limit=10") }
            #expect(pages.count >= 3)
            #expect(pages.dropFirst().allSatisfy { $0.query.contains("continue=") })

            let gold = try await client.list(.configMaps, namespace: "default", options: ListOptions(labelSelector: "tier=gold"))
            #expect(gold.items.count == 5)
            let named = try await client.list(.configMaps, namespace: "default", options: ListOptions(fieldSelector: "metadata.name=page-7"))
            #expect(named.items.map { $0["metadata"]?["name"] } == ["page-7"])
        }
    }

    @Test func statusSubresourceChangesOnlyStatus() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .seconds(3_600)
        try await withEmulator(options) { _, client, _ in
            let created = try await client.create(.deployments, deployment("iris", replicas: 2))
            // The simulated controller writes status too: a conflict means read again and reapply, as any client must.
            var stored: JSONValue = .null
            for _ in 0..<20 {
                var object = try await client.get(.deployments, name: "iris")
                object["status"]?["unavailableReplicas"] = 7
                object["spec"]?["replicas"] = 9
                do throws(KubeError) {
                    stored = try await client.updateStatus(.deployments, object)
                    break
                } catch .conflict {
                    continue
                }
            }
            #expect(stored["status"]?["unavailableReplicas"] == 7)
            #expect(stored["spec"]?["replicas"] == 2)
            #expect(stored["metadata"]?["generation"] == created["metadata"]?["generation"])

            let patched = try await client.patch(.deployments, name: "iris", .merge(["status": ["unavailableReplicas": 5], "spec": ["replicas": 4]]),
                                                 subresource: "status")
            #expect(patched["status"]?["unavailableReplicas"] == 5)
            #expect(patched["spec"]?["replicas"] == 2)
        }
    }

    @Test func deleteSendsPropagationPolicyAndUIDPrecondition() async throws {
        try await withEmulator { emulator, client, _ in
            let created = try await client.create(.configMaps, configMap("gone-soon"))
            await expectError(try await client.delete(.configMaps, name: "gone-soon", options: DeleteOptions(preconditionUID: "not-the-uid"))) {
                if case .conflict = $0 { return true }
                return false
            }
            let uid = try #require(created["metadata"]?["uid"]?.stringValue)
            try await client.delete(.configMaps, name: "gone-soon",
                                    options: DeleteOptions(propagationPolicy: .background, preconditionUID: uid))
            await expectError(try await client.get(.configMaps, name: "gone-soon")) {
                if case .notFound = $0 { return true }
                return false
            }
            let deletes = await emulator.requests().filter { $0.method == "DELETE" }
            #expect(deletes.map(\.status) == [409, 200])
        }
    }

    @Test func clusterScopedResourcesHaveNoNamespaceInThePath() async throws {
        try await withEmulator { emulator, client, _ in
            _ = try await client.create(.namespaces, ["metadata": ["name": "ml-prod"]])
            let fetched = try await client.get(.namespaces, name: "ml-prod")
            #expect(fetched["metadata"]?["name"] == "ml-prod")
            let names = try await client.list(.namespaces).items.compactMap { $0["metadata"]?["name"]?.stringValue }
            #expect(names.contains("ml-prod") && names.contains("default"))
            #expect(await emulator.requests().contains { $0.path == "/api/v1/namespaces/ml-prod" && $0.method == "GET" })
        }
    }
}

/// Expects `body` to throw a `KubeError` that `matches` accepts.
func expectError<T>(_ body: @autoclosure () async throws(KubeError) -> T, sourceLocation: SourceLocation = #_sourceLocation,
                    _ matches: (KubeError) -> Bool) async {
    do {
        _ = try await body()
        Issue.record("expected a KubeError", sourceLocation: sourceLocation)
    } catch {
        #expect(matches(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
    }
}
