import Foundation
import NIOCore
import NIOHTTP1
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

    @Test("a router given threads serves on threads of its own and stops them when it stops")
    func ownThreads() async throws {
        // Started first, so that the router's group is the only one new to the count. Other tests running beside
        // this one start routers of four threads; only this one asks for three.
        _ = MultiThreadedEventLoopGroup.singleton.next()
        let before = Self.eventLoopThreadsByGroup()
        try await RouterFixture.with(versions: ["v1"], configuration: RouterConfiguration(port: 0, threads: 3)) { fixture in
            try fixture.route(stable: "v1")
            let started = Self.eventLoopThreadsByGroup().filter { before[$0.key] == nil && $0.value != 4 }
            #expect(started.count == 1)
            #expect(started.values.first == 3)
            #expect(try await fixture.versionsServing(3) == ["v1", "v1", "v1"])
            try await fixture.router.stop()
            #expect(try await eventually { Self.eventLoopThreadsByGroup().keys.allSatisfy { started[$0] == nil } })
        }
    }

    @Test("a router given fewer than one thread refuses to start, saying what to give")
    func noThreads() async throws {
        await #expect(throws: RouterError.invalidThreadCount(0)) {
            _ = try await ModelRouter.start(RouterConfiguration(port: 0, threads: 0), logger: RouterFixture.quiet)
        }
        #expect(RouterError.invalidThreadCount(0).description.contains("give at least 1"))
    }

    /// NIO's event loop threads in this process, counted by group: they are named `NIO-ELT-<group>-#<loop>`.
    private static func eventLoopThreadsByGroup() -> [String: Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var groups: [String: Int] = [:]
        for task in tasks {
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  name.hasPrefix("NIO-ELT-")
            else { continue }
            let group = name.dropFirst("NIO-ELT-".count).prefix { $0 != "-" }
            groups[String(group), default: 0] += 1
        }
        return groups
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

@Suite("Failures on the way")
struct FailureTests {
    @Test("a bodiless request that meets a pooled connection closing under it is sent again on a new connection")
    func retryOnReusedConnection() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            fixture["v1"].dropReusedConnections()
            let statuses = try await TestHTTPConnection.with(port: fixture.port) { connection in
                var statuses: [Int] = []
                for _ in 0..<3 { statuses.append(try await connection.request(.GET, "/v2/models/iris/ready").status) }
                return statuses
            }
            #expect(statuses == [200, 200, 200])
            #expect(fixture["v1"].stats.acceptedConnections == 3)
            #expect(fixture.router.traffic(for: RouterFixture.key)["v1"]?.responses == [200: 3])
        }
    }

    @Test("a request whose body already went out is not replayed: the client gets 502")
    func noReplayOfBodies() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            fixture["v1"].dropReusedConnections()
            let statuses = try await TestHTTPConnection.with(port: fixture.port) { connection in
                [
                    try await connection.request(.POST, "/v2/models/iris/infer", body: Array("{}".utf8)).status,
                    try await connection.request(.POST, "/v2/models/iris/infer", body: Array("{}".utf8)).status,
                ]
            }
            #expect(statuses == [200, 502])
        }
    }

    @Test("an upstream that dies mid-answer cuts the client connection and counts a 502")
    func upstreamDiesMidAnswer() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            await #expect(throws: (any Error).self) {
                _ = try await TestHTTPConnection.get(port: fixture.port, "/v2/models/iris/die-mid-answer")
            }
            #expect(try await eventually { fixture.router.traffic(for: RouterFixture.key)["v1"]?.responses == [502: 1] })
            #expect(try await TestHTTPConnection.get(port: fixture.port, "/v2/models/iris").servedBy == "v1")
        }
    }

    @Test("a client that leaves mid-request frees the upstream connection and is counted as 499")
    func clientLeaves() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v2/models/iris/hold")
                head.headers.add(name: "Host", value: "router")
                head.headers.add(name: "Content-Length", value: "0")
                try await connection.outbound.write(contentsOf: [.head(head), .end(nil)])
                #expect(try await eventually { fixture["v1"].stats.heldRequests == 1 })
            }
            #expect(try await eventually { fixture.router.traffic(for: RouterFixture.key)["v1"]?.responses == [499: 1] })
            #expect(fixture.router.traffic(for: RouterFixture.key)["v1"]?.inFlight == 0)
            // The stand-in notices the closed connection once it stops holding the request.
            fixture["v1"].releaseHeld()
            #expect(try await eventually { fixture["v1"].stats.openConnections == 0 })
            #expect(try await fixture.versionsServing(1) == ["v1"])
        }
    }

    @Test("pooled connections idle past the idle timeout are closed")
    func idleTimeout() async throws {
        try await RouterFixture.with(versions: ["v1"], configuration: RouterConfiguration(port: 0, idleConnectionTimeout: .milliseconds(200))) { fixture in
            try fixture.route(stable: "v1")
            #expect(try await fixture.versionsServing(2) == ["v1", "v1"])
            #expect(try await eventually { fixture["v1"].stats.openConnections == 0 })
            // Counted from here: on a loaded machine the two requests above may already have needed two connections.
            let accepted = fixture["v1"].stats.acceptedConnections
            #expect(try await fixture.versionsServing(1) == ["v1"])
            #expect(fixture["v1"].stats.acceptedConnections == accepted + 1)
        }
    }

    @Test("connections past the idle cap are closed when their requests end, not kept")
    func idleCap() async throws {
        // An idle timeout far longer than the test, so that only the cap can close a connection.
        let configuration = RouterConfiguration(port: 0, idleConnectionTimeout: .seconds(600),
                                                maximumIdleConnectionsPerUpstream: 1)
        try await RouterFixture.with(versions: ["v1"], configuration: configuration) { fixture in
            try fixture.route(stable: "v1")
            let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }.count
            // More requests at once than the loops' pools may keep: each needs a connection of its own.
            let concurrent = 2 * loops + 1
            let requests = (0..<concurrent).map { _ in
                Task { try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold", body: []) }
            }
            #expect(try await eventually { fixture["v1"].stats.heldRequests == concurrent })
            fixture["v1"].releaseHeld()
            for request in requests { #expect(try await request.value.status == 200) }
            #expect(fixture["v1"].stats.acceptedConnections == concurrent)
            // One idle connection per loop's pool at most.
            #expect(try await eventually { fixture["v1"].stats.openConnections <= loops })
        }
    }

    @Test("stop lets a request in flight finish before closing its connection")
    func stopWaitsForInFlight() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let held = Task { try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold", body: []) }
            #expect(try await eventually { fixture["v1"].stats.heldRequests == 1 })
            let stopping = Task { try await fixture.router.stop() }
            // New connections are refused once the listener closed.
            #expect(try await eventually {
                (try? await TestHTTPConnection.get(port: fixture.port, "/v2/models/iris")) == nil
            })
            fixture["v1"].releaseHeld()
            let response = try await held.value
            #expect(response.status == 200)
            #expect(response.headers.first(name: "connection") == "close")
            try await stopping.value
            #expect(try await eventually { fixture["v1"].stats.openConnections == 0 })
        }
    }
}

@Suite("Idle client connections", .timeLimit(.minutes(1)))
struct IdleClientTests {
    private static let configuration = RouterConfiguration(port: 0, clientIdleTimeout: .milliseconds(300))

    @Test("a keep-alive connection that sends no further request is closed after the client idle timeout")
    func idleKeepAliveIsClosed() async throws {
        try await RouterFixture.with(versions: ["v1"], configuration: Self.configuration) { fixture in
            try fixture.route(stable: "v1")
            // No `Connection: close`: the exchange returns only because the router closes the connection.
            let answer = try await RawConnection.exchange(port: fixture.port, "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
        }
    }

    @Test("a request head that never ends is cut off after the client idle timeout, unanswered")
    func unfinishedHeadIsCutOff() async throws {
        try await RouterFixture.with(versions: ["v1"], configuration: Self.configuration) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port, "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\n")
            #expect(answer.isEmpty)
            #expect(fixture["v1"].stats.requests == 0)
        }
    }

    @Test("a request in flight for longer than the client idle timeout is not cut")
    func requestInFlightIsKept() async throws {
        try await RouterFixture.with(versions: ["v1"], configuration: Self.configuration) { fixture in
            try fixture.route(stable: "v1")
            let held = Task { try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold", body: []) }
            #expect(try await eventually { fixture["v1"].stats.heldRequests == 1 })
            // Several idle timeouts, and so several sweeps, pass while the answer is held.
            try await Task.sleep(for: .milliseconds(1_200))
            fixture["v1"].releaseHeld()
            #expect(try await held.value.status == 200)
        }
    }
}

@Suite("Upstream timeout", .timeLimit(.minutes(1)))
struct UpstreamTimeoutTests {
    private static let configuration = RouterConfiguration(port: 0, upstreamTimeout: .milliseconds(300))

    @Test("an upstream that sends nothing for the upstream timeout gets the client a 504, counted as its version's")
    func silentUpstreamGives504() async throws {
        try await RouterFixture.with(versions: ["v1"], configuration: Self.configuration) { fixture in
            try fixture.route(stable: "v1")
            let response = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold", body: [])
            #expect(response.status == 504)
            #expect(response.json["version"] == "v1")
            #expect(response.json["error"]?.stringValue?.contains("sent nothing for") == true)
            let traffic = try #require(fixture.router.traffic(for: RouterFixture.key)["v1"])
            #expect(traffic.responses == [504: 1])
            #expect(traffic.errors == 1)
            #expect(traffic.inFlight == 0)
        }
    }

    @Test("after a 504 for a silent upstream the client connection carries the next request")
    func connectionCarriesOnAfter504() async throws {
        try await RouterFixture.with(versions: ["v1"], configuration: Self.configuration) { fixture in
            try fixture.route(stable: "v1")
            let statuses = try await TestHTTPConnection.with(port: fixture.port) { connection in
                [
                    try await connection.request(.POST, "/v2/models/iris/hold", body: []).status,
                    try await connection.request(.GET, "/v2/models/iris").status,
                ]
            }
            #expect(statuses == [504, 200])
        }
    }
}
