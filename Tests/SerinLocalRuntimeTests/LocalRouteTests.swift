import SerinCore
@testable import SerinLocalRuntime
import Testing

/// The "traffic shifted" line says how the router splits a model's traffic, in the shares the router applies.
@Suite("Local route shares")
struct LocalRouteTests {
    static let key = DeploymentKey(namespace: "ml", name: "iris")

    @Test("each ready version's share and port, as the router splits them", arguments: [
        (LocalUpstream(version: "1", port: 5001), LocalUpstream(version: "2", port: 5002), 20, "v1 80% on :5001, v2 20% on :5002"),
        (LocalUpstream(version: "1", port: 5001), nil, 20, "v1 100% on :5001"),
        (nil, LocalUpstream(version: "2", port: 5002), 20, "v2 100% on :5002"),
        (nil, nil, 20, "none: no version is ready, so requests get 503"),
    ])
    func shares(stable: LocalUpstream?, canary: LocalUpstream?, weight: Int, expected: String) {
        let route = LocalRoute(key: Self.key, modelName: "iris", stable: stable, canary: canary, canaryWeight: weight)
        #expect(route.sharesText == expected)
    }
}
