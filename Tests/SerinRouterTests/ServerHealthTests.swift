import NIOHTTP1
import SerinCore
@testable import SerinRouter
import Testing
import TestSupport

/// The Open Inference Protocol's server health, which its clients and load balancers ask of the router as they
/// would of the inference server itself.
@Suite("Server health")
struct ServerHealthTests {
    @Test("/v2/health/live answers 200 while the router runs")
    func live() async throws {
        try await RouterFixture.with { fixture in
            let response = try await TestHTTPConnection.get(port: fixture.port, "/v2/health/live")
            #expect(response.status == 200)
            #expect(response.json["live"] == true)
        }
    }

    @Test("/v2/health/ready answers 200 when every routed model has a version ready, and before any is routed")
    func readyWhenEveryModelServes() async throws {
        try await RouterFixture.with { fixture in
            #expect(try await TestHTTPConnection.get(port: fixture.port, "/v2/health/ready").status == 200)
            try fixture.route(stable: "v1", canary: "v2", canaryWeight: 10)
            let response = try await TestHTTPConnection.get(port: fixture.port, "/v2/health/ready")
            #expect(response.status == 200)
            #expect(response.json["ready"] == true)
        }
    }

    @Test("/v2/health/ready answers 503 naming the models with no version ready")
    func notReadyWhileAModelHasNoVersion() async throws {
        try await RouterFixture.with { fixture in
            try fixture.router.setRoutes([
                ModelRoute(key: RouterFixture.key, modelName: "iris", stable: fixture["v1"].upstream),
                ModelRoute(key: DeploymentKey(namespace: "ml", name: "wine"), modelName: "wine", stable: nil),
            ])
            let response = try await TestHTTPConnection.get(port: fixture.port, "/v2/health/ready")
            #expect(response.status == 503)
            #expect(response.json["ready"] == false)
            #expect(response.json["modelsNotReady"] == ["wine"])
            #expect(response.json["error"]?.stringValue?.contains("\"wine\"") == true)
        }
    }

    @Test("/v2 answers the server metadata: Serin's name, the configured version and no extensions")
    func metadata() async throws {
        try await RouterFixture.with(configuration: RouterConfiguration(port: 0, serverVersion: "1.2.3")) { fixture in
            for path in ["/v2", "/v2/"] {
                let response = try await TestHTTPConnection.get(port: fixture.port, path)
                #expect(response.status == 200)
                #expect(response.json == ["name": "serin", "version": "1.2.3", "extensions": []], "\(path)")
            }
            let post = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2", body: [])
            #expect(post.status == 405)
        }
    }

    @Test("health answers GET and HEAD only")
    func methods() async throws {
        try await RouterFixture.with { fixture in
            let post = try await TestHTTPConnection.request(port: fixture.port, .POST, "/v2/health/ready", body: [])
            #expect(post.status == 405)
            let head = try await TestHTTPConnection.request(port: fixture.port, .HEAD, "/v2/health/live")
            #expect(head.status == 200)
        }
    }
}
