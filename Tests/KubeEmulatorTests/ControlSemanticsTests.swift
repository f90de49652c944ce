import KubeEmulator
import SerinCore
import Testing

/// Authentication, fault injection, the request log and discovery.
@Suite struct ControlSemanticsTests {
    @Test func requestsWithoutAnAcceptedBearerTokenAreUnauthorized() async throws {
        var options = KubeEmulatorOptions()
        options.acceptedTokens = ["first"]
        try await withEmulator(options) { emulator in
            let anonymous = try await emulator.http.get("/api/v1/namespaces")
            #expect(anonymous.status == 401)
            #expect(anonymous.json["reason"] == "Unauthorized")
            var client = emulator.http
            client.token = "first"
            #expect(try await client.get("/api/v1/namespaces").status == 200)
            await emulator.emulator.setAcceptedTokens(["second"])
            #expect(try await client.get("/api/v1/namespaces").status == 401)
            client.token = "second"
            #expect(try await client.get("/api/v1/namespaces").status == 200)
        }
    }

    @Test func unprivilegedUsersAreForbiddenResourcesButMayDiscover() async throws {
        var options = KubeEmulatorOptions()
        options.unprivilegedUsers = ["nobody-token": "nobody"]
        try await withEmulator(options) { emulator in
            var client = emulator.http
            client.token = "nobody-token"
            #expect(try await client.get("/apis/apps/v1").status == 200)
            let denied = try await client.get(Fixtures.deployments + "/x")
            #expect(denied.status == 403)
            #expect(denied.json["reason"] == "Forbidden")
            #expect(denied.json["message"] == .string(#"deployments.apps "x" is forbidden: User "nobody" cannot get resource "deployments" in API group "apps" in the namespace "default""#))
            #expect(denied.json["details"] == ["name": "x", "group": "apps", "kind": "deployments"])
            let list = try await client.get("/api/v1/namespaces")
            #expect(list.json["message"] == .string(#"namespaces is forbidden: User "nobody" cannot list resource "namespaces" in API group "" at the cluster scope"#))
        }
    }

    @Test func injectedTooManyRequestsCarryRetryAfter() async throws {
        try await withEmulator { emulator in
            var faults = EmulatorFaults()
            faults.tooManyRequestsShare = 1
            faults.retryAfterSeconds = 3
            await emulator.emulator.setFaults(faults)
            let answer = try await emulator.http.get("/api/v1/namespaces")
            #expect(answer.status == 429)
            #expect(answer.headers["retry-after"] == "3")
            await emulator.emulator.setFaults(EmulatorFaults())
            #expect(try await emulator.http.get("/api/v1/namespaces").status == 200)
        }
    }

    @Test func droppedWatchesEndAfterTheConfiguredNumberOfEvents() async throws {
        try await withEmulator { emulator in
            for name in ["a", "b", "c"] { _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap(name)) }
            var faults = EmulatorFaults()
            faults.dropWatchesAfterEvents = 2
            await emulator.emulator.setFaults(faults)
            let start = ContinuousClock.now
            let watch = try await emulator.http.get(Fixtures.configMaps + "?watch=1&timeoutSeconds=30")
            #expect(watch.events.count == 2)
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test func forcedExpiryAnswersWatchesWithA410Event() async throws {
        try await withEmulator { emulator in
            var faults = EmulatorFaults()
            faults.forceWatchExpired = true
            await emulator.emulator.setFaults(faults)
            let watch = try await emulator.http.get(Fixtures.configMaps + "?watch=1&resourceVersion=1&timeoutSeconds=5")
            #expect(watch.events.map { $0["type"] } == ["ERROR"])
        }
    }

    @Test func theRequestLogRecordsMethodPathQueryAndStatus() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("c"))
            _ = try await emulator.http.get(Fixtures.configMaps + "?limit=1")
            let records = await emulator.emulator.requests()
            #expect(records.map(\.method) == ["POST", "GET"])
            #expect(records.map(\.status) == [201, 200])
            #expect(records.last?.path == Fixtures.configMaps)
            #expect(records.last?.query == "limit=1")
            #expect(records.first?.contentType == "application/json")
        }
    }

    @Test func discoveryListsEveryServedGroup() async throws {
        try await withEmulator { emulator in
            let groups = try await emulator.http.get("/apis").json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(Set(groups ?? []) == ["apps", "coordination.k8s.io", "gateway.networking.k8s.io",
                                          "networking.istio.io", "apiextensions.k8s.io", "rbac.authorization.k8s.io",
                                          "networking.k8s.io"])
            let core = try await emulator.http.get("/api/v1").json
            let resources = Set(core["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(resources.isSuperset(of: ["namespaces", "services", "configmaps", "secrets", "events", "pods", "serviceaccounts"]))
            #expect(try await emulator.http.get("/api").json["versions"] == ["v1"])
        }
    }
}
