import NIOHTTP1
import SerinCore
@testable import SerinRouter
import Testing
import TestSupport

@Suite("Routing requests to model versions")
struct RoutingTests {
    @Test("a 10% canary serves exactly 10 of 100 requests, and 20 of the next 200")
    func exactProportions() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 10)
            let first = try await fixture.versionsServing(100)
            #expect(first.count(of: "v2") == 10)
            #expect(first.count(of: "v1") == 90)
            let next = try await fixture.versionsServing(200)
            #expect(next.count(of: "v2") == 20)
        }
    }

    @Test("proportions stay exact when requests arrive concurrently on many connections, each thread routing some")
    func concurrentProportions() async throws {
        // Four threads of the router's own, the eight connections spread over them: the weights hold over all the
        // model's requests, not per thread, whatever state a thread keeps of its own.
        try await RouterFixture.with(configuration: RouterConfiguration(port: 0, threads: 4)) { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 25)
            let versions = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<8 { group.addTask { try await fixture.versionsServing(25) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(versions.count == 200)
            #expect(versions.count(of: "v2") == 50)
        }
    }

    @Test("X-Serin-Version pins a routed version, even one with weight 0")
    func pinning() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 0)
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                for _ in 0..<5 {
                    let pinned = try await connection.request(.POST, "/v2/models/iris/infer",
                                                              headers: [("X-Serin-Version", "v2")], body: [])
                    #expect(pinned.status == 200)
                    #expect(pinned.servedBy == "v2")
                    #expect(pinned.headers.first(name: "X-Serin-Version") == "v2")
                    // The pin is the router's business: the upstream does not see it.
                    #expect(pinned.json[path: "headers", "x-serin-version"] == nil)
                }
            }
            // Pinned requests do not take the weighted requests' turns.
            #expect(try await fixture.versionsServing(10).count(of: "v1") == 10)
        }
    }

    @Test("a pin by version reaches a revision of it routed as version@digest, and the plain version first")
    func pinningARevisionByItsVersion() async throws {
        // The local runtime routes a second revision of version 1 as 1@<digest>, and keeps that name once promoted.
        try await RouterFixture.with(versions: ["1", "1@2a3560eb"]) { fixture in
            try fixture.route(stable: "1", canary: "1@2a3560eb", canaryWeight: 50)
            let pinned = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer",
                                                              headers: [("X-Serin-Version", "1")], body: [])
            #expect(pinned.servedBy == "1")
            try fixture.route(stable: "1@2a3560eb")
            let promoted = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer",
                                                                headers: [("X-Serin-Version", "1")], body: [])
            #expect(promoted.status == 200)
            #expect(promoted.servedBy == "1@2a3560eb")
            #expect(promoted.headers.first(name: "X-Serin-Version") == "1@2a3560eb")
        }
    }

    @Test("pinning a version that is not routed answers 404 naming the routed versions")
    func pinningUnroutedVersion() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            let response = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer",
                                                                headers: [("X-Serin-Version", "v9")], body: [])
            #expect(response.status == 404)
            #expect(response.headers.first(name: "content-type") == "application/json")
            let error = try #require(response.json["error"]?.stringValue)
            #expect(error.contains("\"v9\""))
            #expect(error.contains("v1 (stable), v2 (canary)"))
            #expect(response.json["routedVersions"] == ["v1", "v2"])
        }
    }

    @Test("an unknown model answers 404 with JSON naming the known models")
    func unknownModel() async throws {
        try await RouterFixture.with { fixture in
            try fixture.router.setRoutes([
                ModelRoute(key: RouterFixture.key, modelName: "iris", stable: fixture["v1"].upstream),
                ModelRoute(key: DeploymentKey(namespace: "ml", name: "wine"), modelName: "wine", stable: fixture["v2"].upstream),
            ])
            let response = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/roses/infer", body: [])
            #expect(response.status == 404)
            let error = try #require(response.json["error"]?.stringValue)
            #expect(error.contains("\"roses\""))
            #expect(error.contains("known models: iris, wine"))
            #expect(response.json["knownModels"] == ["iris", "wine"])

            let other = try await TestHTTPConnection.get(port: fixture.port, "/v2/repository/index")
            #expect(other.status == 404)
            #expect(other.json["error"]?.stringValue?.contains("/v2/models/<model>") == true)
        }
    }

    @Test("a model with no upstream answers 503 and counts it")
    func noUpstream() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: nil)
            let response = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer", body: [])
            #expect(response.status == 503)
            #expect(response.json["error"]?.stringValue?.contains("no version ready") == true)
            #expect(fixture.router.traffic(for: RouterFixture.key)[""]?.responses == [503: 1])
        }
    }

    @Test("an upstream that refuses connections gives 502 with JSON, counted as an error of its version")
    func unreachableUpstream() async throws {
        let log = CapturedLog()
        try await RouterFixture.with(versions: ["v1"], logger: log.logger) { fixture in
            let closedPort = try await {
                let upstream = try await TestUpstream.start(version: "gone")
                await upstream.stop()
                return upstream.port
            }()
            try fixture.router.setRoutes([
                ModelRoute(key: RouterFixture.key, modelName: "iris", stable: Upstream(version: "v3", port: closedPort)),
            ])
            let response = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer", body: [])
            #expect(response.status == 502)
            let error = try #require(response.json["error"]?.stringValue)
            #expect(error.contains("\"v3\""))
            #expect(error.contains("127.0.0.1:\(closedPort)"))
            #expect(error.hasSuffix("did not answer: connection refused: nothing listens on that port"))
            let traffic = try #require(fixture.router.traffic(for: RouterFixture.key)["v3"])
            #expect(traffic.responses == [502: 1])
            #expect(traffic.errors == 1)
            #expect(traffic.inFlight == 0)
            // The log line names the deployment, as every line about a model does, and says why in words.
            let failed = try #require(log.lines.first { $0.message == "router upstream failed" })
            #expect(failed.metadata["model"] == "ml/iris")
            #expect(failed.metadata["modelName"] == "iris")
            #expect(failed.metadata["version"] == "v3")
            #expect(failed.metadata["reason"] == "connection refused: nothing listens on that port")
        }
    }

    @Test("upstream 5xx answers pass through and count as errors")
    func upstreamErrors() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let statuses = try await TestHTTPConnection.with(port: fixture.port) { connection in
                [
                    try await connection.request(.POST, "/v2/models/iris/status/500", body: []).status,
                    try await connection.request(.POST, "/v2/models/iris/infer", body: []).status,
                    try await connection.request(.GET, "/v2/models/iris/status/404").status,
                ]
            }
            #expect(statuses == [500, 200, 404])
            let traffic = try #require(fixture.router.traffic(for: RouterFixture.key)["v1"])
            #expect(traffic.responses == [200: 1, 404: 1, 500: 1])
            #expect(traffic.errors == 1)
        }
    }

    @Test("the path goes upstream unchanged, Host is the upstream's, X-Forwarded-For and Via are added, hop-by-hop fields stop")
    func forwardedHeaders() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let uri = "/v2/models/iris/versions/7/infer?trace=a%20b&x=1"
            let response = try await TestHTTPConnection.request(
                port: fixture.port, .POST, uri,
                headers: [("X-Forwarded-For", "10.1.2.3"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "secret"),
                          ("Keep-Alive", "timeout=9"), ("TE", "trailers"), ("Proxy-Connection", "keep-alive"),
                          ("X-Request-Id", "abc")],
                body: Array("{}".utf8))
            #expect(response.status == 200)
            let seen = response.json
            #expect(seen["uri"] == .string(uri))
            #expect(seen["method"] == "POST")
            #expect(seen[path: "headers", "host"] == .string("127.0.0.1:\(fixture["v1"].port)"))
            #expect(seen[path: "headers", "x-forwarded-host"] == .string("127.0.0.1:\(fixture.port)"))
            #expect(seen[path: "headers", "x-forwarded-for"] == "10.1.2.3, 127.0.0.1")
            #expect(seen[path: "headers", "via"] == "1.1 serin")
            #expect(seen[path: "headers", "x-request-id"] == "abc")
            #expect(seen[path: "headers", "content-length"] == "2")
            for dropped in ["x-hop", "keep-alive", "te", "proxy-connection"] {
                #expect(seen[path: "headers", dropped] == nil, "\(dropped) reached the upstream")
            }
            #expect(seen["bodyBytes"] == 2)
            // The answer: the upstream's end-to-end fields, not its connection's.
            #expect(response.headers.first(name: "content-type") == "application/json")
            #expect(response.headers.first(name: "via") == "1.1 serin")
            #expect(response.headers.first(name: "x-serin-version") == "v1")
            #expect(!response.headers.contains(name: "keep-alive"))
            #expect(!response.headers.contains(name: "x-upstream-only"))
        }
    }

    @Test("a chunked request body of unknown length goes through, even on a GET")
    func chunkedRequestBody() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/models/iris/predict")
                head.headers.add(name: "Host", value: "router")
                head.headers.add(name: "Transfer-Encoding", value: "chunked")
                try await connection.outbound.write(contentsOf: [
                    .head(head), .body(.byteBuffer(.init(string: "hello "))), .body(.byteBuffer(.init(string: "world"))),
                    .end(nil),
                ])
                let response = try await connection.readResponse()
                #expect(response.status == 200)
                #expect(response.json["bodyBytes"] == 11)
                #expect(response.json[path: "headers", "transfer-encoding"] == "chunked")
            }
        }
    }

    @Test("HEAD answers carry the upstream's length and no body; Expect: 100-continue is answered by the router")
    func headAndExpectContinue() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                let head = try await connection.request(.HEAD, "/v2/models/iris")
                #expect(head.status == 200)
                #expect(head.body.isEmpty)
                let expecting = try await connection.request(.POST, "/v2/models/iris/infer",
                                                              headers: [("Expect", "100-continue")],
                                                              body: Array("{}".utf8))
                #expect(expecting.status == 200)
                #expect(expecting.json[path: "headers", "expect"] == nil)
                #expect(expecting.json["bodyBytes"] == 2)
                // The connection still works afterwards.
                #expect(try await connection.request(.GET, "/v2/models/iris").servedBy == "v1")
            }
        }
    }

    @Test("an HTTP/1.0 client gets its answer and the connection closed after it")
    func http10Client() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                var head = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/v2/models/iris/ready")
                head.headers.add(name: "Host", value: "router")
                try await connection.outbound.write(contentsOf: [.head(head), .end(nil)])
                let response = try await connection.readResponse()
                #expect(response.status == 200)
                #expect(response.servedBy == "v1")
            }
        }
    }

    @Test("a malformed request is answered 400 and its connection closed; the router serves the next connection")
    func malformedRequest() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port, "GET /v2/models/iris HTTP/1.1\r\nHost x\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")
            #expect(answer.lowercased().contains("connection: close\r\n"), "\(answer)")
            #expect(try await fixture.versionsServing(1) == ["v1"])
        }
    }

    @Test("invalid routes are refused with a message that says what to change, and nothing changes")
    func invalidRoutes() async throws {
        try await RouterFixture.with(versions: ["v1", "v2"]) { fixture in
            try fixture.route(stable: "v1")
            let key = RouterFixture.key
            let v1 = fixture["v1"].upstream
            let cases: [(ModelRoute, String)] = [
                (ModelRoute(key: key, modelName: "iris", stable: v1, canary: fixture["v2"].upstream, canaryWeight: 101), "0 to 100"),
                (ModelRoute(key: key, modelName: "ir/is", stable: v1), "one URL path segment"),
                (ModelRoute(key: key, modelName: "iris", stable: v1, canary: v1, canaryWeight: 5), "both stable and canary"),
                (ModelRoute(key: key, modelName: "iris", stable: Upstream(version: "v1", port: 0)), "port from 1 to 65535"),
                (ModelRoute(key: key, modelName: "iris", stable: Upstream(version: "", port: 9)), "non-empty"),
                (ModelRoute(key: key, modelName: "iris", stable: Upstream(version: "v1", host: "h\r\nX-Injected: 1", port: 9)),
                 "without spaces or control characters"),
            ]
            for (route, message) in cases {
                #expect {
                    try fixture.router.setRoutes([route])
                } throws: { error in
                    "\(error)".contains(message)
                }
            }
            let clash = [ModelRoute(key: key, modelName: "iris", stable: v1),
                         ModelRoute(key: DeploymentKey(namespace: "other", name: "iris"), modelName: "iris", stable: v1)]
            #expect(throws: RouterError.duplicateModelName("iris", keys: [key, DeploymentKey(namespace: "other", name: "iris")])) {
                try fixture.router.setRoutes(clash)
            }
            #expect(fixture.router.routes.map(\.stable) == [v1])
            #expect(try await fixture.versionsServing(3) == ["v1", "v1", "v1"])
        }
    }

    @Test("a port already in use is reported with what to do")
    func portInUse() async throws {
        try await RouterFixture.with(versions: []) { fixture in
            await #expect {
                _ = try await ModelRouter.start(host: "127.0.0.1", port: fixture.port, logger: RouterFixture.quiet)
            } throws: { error in
                // In words, not NIO's system call and errno.
                "\(error)" == "the router cannot listen on 127.0.0.1:\(fixture.port): another process already listens there; "
                    + "choose another address or port, or stop the process that holds it"
            }
            return ()
        }
    }
}
