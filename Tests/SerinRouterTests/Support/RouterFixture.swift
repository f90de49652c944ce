import Logging
import NIOPosix
import SerinCore
import SerinRouter

/// A router on a free loopback port with test upstreams, stopped (with every upstream) however the test ends.
struct RouterFixture {
    let router: ModelRouter
    let upstreams: [String: TestUpstream]

    static let key = DeploymentKey(namespace: "ml", name: "iris")
    static let model = "iris"
    static let quiet = Logger(label: "serin.router.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    var port: Int { router.port }

    subscript(version: String) -> TestUpstream {
        guard let upstream = upstreams[version] else { preconditionFailure("no test upstream \(version)") }
        return upstream
    }

    static func with<Result>(
        versions: [String] = ["v1", "v2"],
        configuration: RouterConfiguration = RouterConfiguration(port: 0),
        receiveBufferSize: Int? = nil,
        sendBufferSize: Int? = nil,
        logger: Logger = quiet,
        _ body: (RouterFixture) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        let router = try await ModelRouter.start(configuration, logger: logger)
        var upstreams: [String: TestUpstream] = [:]
        do {
            for version in versions {
                upstreams[version] = try await TestUpstream.start(version: version, receiveBufferSize: receiveBufferSize,
                                                                  sendBufferSize: sendBufferSize)
            }
            let result = try await body(RouterFixture(router: router, upstreams: upstreams))
            await stop(router, upstreams)
            return result
        } catch {
            await stop(router, upstreams)
            throw error
        }
    }

    private static func stop(_ router: ModelRouter, _ upstreams: [String: TestUpstream]) async {
        try? await router.stop()
        for upstream in upstreams.values { await upstream.stop() }
    }

    /// Routes the model to `stable` and `canary` (upstream versions of this fixture) at `canaryWeight`.
    func route(stable: String?, canary: String? = nil, canaryWeight: Int = 0) throws {
        try router.setRoutes([
            ModelRoute(key: Self.key, modelName: Self.model, stable: stable.map { self[$0].upstream },
                       canary: canary.map { self[$0].upstream }, canaryWeight: canaryWeight),
        ])
    }

    /// Sends `count` inference requests one after another on one connection; returns the serving versions in order.
    func versionsServing(_ count: Int, path: String = "/v2/models/iris/infer") async throws -> [String] {
        try await TestHTTPConnection.with(port: port) { connection in
            var versions: [String] = []
            for _ in 0..<count {
                let response = try await connection.request(.POST, path, body: Array(#"{"inputs":[]}"#.utf8))
                guard response.status == 200, let version = response.servedBy else {
                    throw TestFailure("expected an upstream's answer, got \(response.status): \(response.text)")
                }
                versions.append(version)
            }
            return versions
        }
    }
}

extension Array where Element == String {
    func count(of value: String) -> Int { filter { $0 == value }.count }
}
