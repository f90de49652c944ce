import SerinCore
import SerinRouter
import Testing

@Suite("Metrics")
struct MetricsTests {
    static let labels = #"namespace="ml",deployment="iris""#

    @Test("a version out of the routes keeps its series through the retention, and loses them at a route change after it")
    func unroutedVersionsSeriesAreDroppedAfterTheRetention() async throws {
        // Retention zero: the route change that takes v2 out is already past it.
        try await RouterFixture.with(configuration: RouterConfiguration(port: 0, unroutedSeriesRetention: .zero)) { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            _ = try await fixture.versionsServing(4)
            #expect(fixture.router.metricsText().contains(#"version="v2""#))
            try fixture.route(stable: "v1")
            #expect(!fixture.router.metricsText().contains(#"version="v2""#))
            #expect(fixture.router.metricsText().contains(#"version="v1",code="200"} 2"#))
            #expect(fixture.router.traffic(for: RouterFixture.key)["v2"] == nil)
        }
    }

    @Test("within the retention, a version out of the routes keeps its series and counts on if routed again")
    func unroutedVersionsSeriesStayWithinTheRetention() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            _ = try await fixture.versionsServing(4)
            try fixture.route(stable: "v1")
            #expect(fixture.router.metricsText().contains(#"version="v2",code="200"} 2"#))
            try fixture.route(stable: "v2")
            _ = try await fixture.versionsServing(1)
            #expect(fixture.router.metricsText().contains(#"version="v2",code="200"} 3"#))
        }
    }

    @Test("requests served by different threads are counted together, in traffic(for:) and /metrics alike")
    func countsFromEveryThreadAddUp() async throws {
        // Eight connections spread over the router's four threads: every thread's requests count, whatever state a
        // thread keeps of its own.
        try await RouterFixture.with(configuration: RouterConfiguration(port: 0, threads: 4)) { fixture in
            try fixture.route(stable: "v1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await TestHTTPConnection.with(port: fixture.port) { connection in
                            for _ in 0..<3 { _ = try await connection.request(.POST, "/v2/models/iris/infer", body: []) }
                            _ = try await connection.request(.POST, "/v2/models/iris/status/500", body: [])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let v1 = try #require(fixture.router.traffic(for: RouterFixture.key)["v1"])
            #expect(v1.responses == [200: 24, 500: 8])
            #expect(v1.latency.count == 32)
            #expect(v1.inFlight == 0)
            let lines = Set(fixture.router.metricsText().split(separator: "\n").map(String.init))
            #expect(lines.contains(#"serin_router_requests_total{\#(Self.labels),version="v1",code="200"} 24"#))
            #expect(lines.contains(#"serin_router_requests_total{\#(Self.labels),version="v1",code="500"} 8"#))
            #expect(lines.contains(#"serin_router_request_duration_seconds_count{\#(Self.labels),version="v1"} 32"#))
        }
    }

    @Test("/metrics serves the exact series names, labels and counts the Prometheus gates query")
    func prometheusText() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 10)
            _ = try await fixture.versionsServing(20)
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                _ = try await connection.request(.POST, "/v2/models/iris/status/503", headers: [("X-Serin-Version", "v2")], body: [])
            }
            try fixture.route(stable: nil)
            _ = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/infer", body: [])

            let response = try await TestHTTPConnection.get(port: fixture.port, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(response.text.split(separator: "\n").map(String.init))
            let expected = [
                "# TYPE serin_router_requests_total counter",
                "# TYPE serin_router_request_duration_seconds histogram",
                #"serin_router_requests_total{\#(Self.labels),version="v1",code="200"} 18"#,
                #"serin_router_requests_total{\#(Self.labels),version="v2",code="200"} 2"#,
                #"serin_router_requests_total{\#(Self.labels),version="v2",code="503"} 1"#,
                #"serin_router_requests_total{\#(Self.labels),version="",code="503"} 1"#,
                #"serin_router_request_duration_seconds_bucket{\#(Self.labels),version="v1",le="+Inf"} 18"#,
                #"serin_router_request_duration_seconds_bucket{\#(Self.labels),version="v2",le="+Inf"} 3"#,
                #"serin_router_request_duration_seconds_count{\#(Self.labels),version="v1"} 18"#,
                #"serin_router_request_duration_seconds_count{\#(Self.labels),version="v2"} 3"#,
            ]
            for line in expected {
                #expect(lines.contains(line), "missing: \(line)")
            }
            let bucketBounds = lines.filter { $0.hasPrefix(#"serin_router_request_duration_seconds_bucket{\#(Self.labels),version="v1""#) }
                .compactMap { $0.split(separator: "le=\"").last?.split(separator: "\"").first.map(String.init) }
            #expect(Set(bucketBounds) == ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
            #expect(lines.contains { $0.hasPrefix(#"serin_router_request_duration_seconds_sum{\#(Self.labels),version="v1"} "#) })
            // The router's own scrape is not counted as model traffic.
            #expect(fixture.router.metricsText() == response.text)
        }
    }

    @Test("traffic(for:) gives requests, errors and a latency histogram per version, whose quantile reflects the answers' delay")
    func snapshot() async throws {
        try await RouterFixture.with { fixture in
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 50)
            let before = fixture.router.traffic(for: RouterFixture.key)
            try await TestHTTPConnection.with(port: fixture.port) { connection in
                for _ in 0..<4 {
                    _ = try await connection.request(.POST, "/v2/models/iris/infer", headers: [("X-Serin-Version", "v1")], body: [])
                }
                for _ in 0..<2 {
                    _ = try await connection.request(.POST, "/v2/models/iris/status/500", headers: [("X-Serin-Version", "v2")], body: [])
                }
            }
            // Held requests take at least as long as the test holds them: a lower bound on their latency, whatever
            // the machine's speed.
            let held = (0..<3).map { _ in
                Task {
                    try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/models/iris/hold",
                                                         headers: [("X-Serin-Version", "v2")], body: [])
                }
            }
            #expect(try await eventually { fixture["v2"].stats.heldRequests == 3 })
            try await Task.sleep(for: .milliseconds(300))
            fixture["v2"].releaseHeld()
            for request in held { _ = try await request.value }

            let traffic = fixture.router.traffic(for: RouterFixture.key)
            let v1 = try #require(traffic["v1"]?.since(before["v1"] ?? VersionTraffic()))
            let v2 = try #require(traffic["v2"]?.since(before["v2"] ?? VersionTraffic()))
            #expect(v1.requests == 4)
            #expect(v1.errors == 0)
            #expect(v1.successRate == 1)
            #expect(v2.requests == 5)
            #expect(v2.errors == 2)
            #expect(v2.responses == [200: 3, 500: 2])
            #expect(v2.latency.count == 5)
            // Three of five took at least 300 ms: the median is past the 0.25 s bound.
            let median = try #require(v2.latency.quantile(0.5))
            #expect(median > 0.25)
            #expect(try #require(v2.latency.quantile(0.99)) >= median)
            #expect(v2.latency.sum >= 0.9)
        }
    }
}
