import SerinCore
import SerinRouter
import TestSupport
import Synchronization
import Testing

@Suite("Changing routes while traffic flows")
struct RouteChangeTests {
    @Test("a weight change applies to every request that starts after setRoutes returns")
    func weightChangeIsAtomic() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 10)
            #expect(try await fixture.versionsServing(100).count(of: "v2") == 10)
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            #expect(try await fixture.versionsServing(100).count(of: "v2") == 50)
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 100)
            #expect(try await fixture.versionsServing(20) == Array(repeating: "v2", count: 20))
            try fixture.route(stable: "v2")
            #expect(try await fixture.versionsServing(20) == Array(repeating: "v2", count: 20))
        }
    }

    @Test("weight changes during concurrent traffic lose no request and every answer comes from a routed version")
    func weightChangesUnderLoad() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 0)
            let versions = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await fixture.versionsServing(50) } }
                group.addTask {
                    for weight in stride(from: 0, through: 100, by: 10) {
                        try fixture.route(stable: "v1", canary: "v2", canaryWeight: weight)
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(versions.count == 200)
            #expect(versions.allSatisfy { $0 == "v1" || $0 == "v2" })
            // After the last change everything goes to the canary.
            #expect(try await fixture.versionsServing(10).count(of: "v2") == 10)
        }
    }

    @Test("a request in flight finishes on the version it started on after the weights move away from it")
    func inFlightRequestsKeepTheirVersion() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 0)
            let held = Task { try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold", body: []) }
            #expect(try await eventually { fixture["v1"].stats.heldRequests == 1 })

            try fixture.route(stable: "v2")
            #expect(try await fixture.versionsServing(5) == Array(repeating: "v2", count: 5))
            #expect(fixture.router.traffic(for: RouterFixture.key)["v1"]?.inFlight == 1)

            fixture["v1"].releaseHeld()
            let response = try await held.value
            #expect(response.status == 200)
            #expect(response.servedBy == "v1")
            #expect(fixture.router.traffic(for: RouterFixture.key)["v1"]?.inFlight == 0)
        }
    }

    @Test("drain takes a version out of the route and returns only after its requests in flight finished")
    func drainWaitsForInFlightRequests() async throws {
        let log = CapturedLog()
        try await RouterFixture.with(logger: log.logger) { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            let held = try await Self.holdRequests(2, pinnedTo: "v1", in: fixture)
            let released = Flag(false)
            let drain = Self.drain("v1", in: fixture, reporting: released)
            // New requests go to the remaining version while the drain waits.
            #expect(try await eventually { fixture.router.routes.first?.stable == nil })
            #expect(try await fixture.versionsServing(4) == Array(repeating: "v2", count: 4))
            try await Self.expectDrainToWaitForRelease(of: "v1", in: fixture, drain: drain, released: released)
            for request in held {
                let response = try await request.value
                #expect(response.servedBy == "v1")
            }
            let pinned = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer",
                                                              headers: [("X-Serin-Version", "v1")], body: [])
            #expect(pinned.status == 404)
        }
        // The line is about the drained version, in words.
        let drained = try #require(log.lines.first { $0.message.hasPrefix("router drain") })
        #expect(drained.message == "router drained: no request left in flight")
        #expect(drained.metadata["model"] == "ml/iris")
        #expect(drained.metadata["version"] == "v1")
    }

    @Test("drain waits for the version's requests in flight on every thread of the router")
    func drainWaitsForRequestsOnEveryThread() async throws {
        // Four connections on the router's four threads, one held request each: the drain waits for all of them,
        // whichever thread routed each.
        try await RouterFixture.with(configuration: RouterConfiguration(port: 0, threads: 4)) { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            let held = try await Self.holdRequests(4, pinnedTo: "v1", in: fixture)
            #expect(fixture.router.traffic(for: RouterFixture.key)["v1"]?.inFlight == 4)
            let released = Flag(false)
            let drain = Self.drain("v1", in: fixture, reporting: released)
            try await Self.expectDrainToWaitForRelease(of: "v1", in: fixture, drain: drain, released: released)
            for request in held { #expect(try await request.value.servedBy == "v1") }
        }
    }

    @Test("drain gives up after its timeout and reports the requests still in flight")
    func drainTimesOut() async throws {
        let log = CapturedLog()
        try await RouterFixture.with(logger: log.logger) { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 0)
            let held = Task { try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold", body: []) }
            #expect(try await eventually { fixture["v1"].stats.heldRequests == 1 })
            try fixture.route(stable: "v2")

            let result = await fixture.router.drain(RouterFixture.key, versions: ["v1"], timeout: .milliseconds(200))
            #expect(!result.isComplete)
            #expect(result.remaining == ["v1": 1])
            #expect("\(result)".contains("v1: 1"))

            fixture["v1"].releaseHeld()
            #expect(try await held.value.servedBy == "v1")
            #expect(await fixture.router.drain(RouterFixture.key, versions: ["v1"], timeout: .seconds(60)).isComplete)
        }
        let timedOut = try #require(log.lines.first { $0.message.hasPrefix("router drain") })
        #expect(timedOut.message == "router drain timed out with requests still in flight")
        #expect(timedOut.metadata["version"] == "v1")
        #expect(timedOut.metadata["result"] == "timed out with requests in flight: v1: 1")
    }

    @Test("removing a route answers 404 for its model while other models keep their routes")
    func removeRoute() async throws {
        try await RouterFixture.with { fixture in
            let wine = DeploymentKey(namespace: "ml", name: "wine")
            try fixture.router.setRoutes([
                ModelRoute(key: RouterFixture.key, modelName: "iris", stable: fixture["v1"].upstream),
                ModelRoute(key: wine, modelName: "wine", stable: fixture["v2"].upstream),
            ])
            fixture.router.removeRoute(for: RouterFixture.key)
            #expect(try await TestHTTPConnection.get(port: fixture.port, "/v2/models/iris").status == 404)
            #expect(try await TestHTTPConnection.get(port: fixture.port, "/v2/models/wine").servedBy == "v2")
            try fixture.router.setRoute(ModelRoute(key: wine, modelName: "wine", stable: fixture["v1"].upstream))
            #expect(try await TestHTTPConnection.get(port: fixture.port, "/v2/models/wine").servedBy == "v1")
            #expect(fixture.router.routes.map(\.key) == [wine])
        }
    }

    /// Sends `count` requests pinned to `version`, each on a connection of its own, which its upstream holds until
    /// let go; returns once the upstream holds them all.
    private static func holdRequests(_ count: Int, pinnedTo version: String, in fixture: RouterFixture) async throws
        -> [Task<TestResponse, any Error>]
    {
        let held = (0..<count).map { _ in
            Task {
                try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold",
                                                     headers: [("X-Serin-Version", version)], body: [])
            }
        }
        #expect(try await eventually { fixture[version].stats.heldRequests == count })
        return held
    }

    /// Lets `version`'s held requests go once the drain has waited a moment, and expects the drain to return complete
    /// only after that.
    private static func expectDrainToWaitForRelease(of version: String, in fixture: RouterFixture,
                                                    drain: Task<(DrainResult, Bool), Never>, released: Flag) async throws
    {
        try await Task.sleep(for: .milliseconds(100))
        released.set(true)
        fixture[version].releaseHeld()
        let (result, releasedBeforeReturn) = await drain.value
        #expect(result.isComplete)
        #expect(releasedBeforeReturn, "drain returned before the held requests were let go")
    }

    /// Drains `version` from the route; the task gives the result and whether `released` was set when it returned.
    private static func drain(_ version: String, in fixture: RouterFixture, reporting released: Flag)
        -> Task<(DrainResult, Bool), Never>
    {
        Task {
            let result = await fixture.router.drain(RouterFixture.key, versions: [version], timeout: .seconds(120))
            return (result, released.value)
        }
    }
}
