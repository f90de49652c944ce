import NIOCore
import NIOPosix
import SerinCore
@testable import SerinRouter
import Testing

@Suite("Upstream connections")
struct ConnectionTests {
    @Test("requests on one client connection reuse one upstream connection")
    func keepAliveReuse() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let versions = try await fixture.versionsServing(50)
            #expect(versions.count(of: "v1") == 50)
            #expect(fixture["v1"].stats.acceptedConnections == 1)
            #expect(fixture["v1"].stats.requests == 50)
        }
    }

    @Test("sequential client connections share pooled upstream connections: at most one per event loop")
    func poolAcrossClients() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            for _ in 0..<30 {
                let response = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer", body: [])
                #expect(response.servedBy == "v1")
            }
            let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }.count
            #expect(fixture["v1"].stats.acceptedConnections <= loops)
            #expect(fixture["v1"].stats.requests == 30)
        }
    }

    @Test("a pooled connection the upstream closed while idle is replaced without failing the request")
    func staleConnectionIsRetried() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            #expect(try await fixture.versionsServing(1) == ["v1"])
            // The upstream restarts on the same port: the pooled connection is dead.
            let port = fixture["v1"].port
            await fixture["v1"].stop()
            let replacement = try await TestUpstream.startOnPort(version: "v1b", port: port)
            #expect(try await eventually { fixture["v1"].stats.openConnections == 0 })
            let versions = try await fixture.versionsServing(3)
            await replacement.stop()
            #expect(versions == ["v1b", "v1b", "v1b"])
        }
    }

    @Test("stopping the router closes its upstream connections and its listener")
    func stopLeavesNoConnections() async throws {
        try await RouterFixture.with(versions: ["v1", "v2"]) { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            _ = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await fixture.versionsServing(10) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(fixture["v1"].stats.openConnections > 0)
            try await fixture.router.stop()
            #expect(try await eventually { fixture["v1"].stats.openConnections == 0 && fixture["v2"].stats.openConnections == 0 })
            await #expect(throws: (any Error).self) {
                _ = try await TestHTTPConnection.get(port: fixture.port, "/v2/models/iris")
            }
        }
    }
}

extension TestUpstream {
    /// Starts on a given port, retrying briefly while the old listener's port is released.
    static func startOnPort(version: String, port: Int) async throws -> TestUpstream {
        var lastError: (any Error)?
        for _ in 0..<100 {
            do { return try await start(version: version, port: port) } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw lastError ?? TestFailure("cannot start an upstream on port \(port)")
    }
}
