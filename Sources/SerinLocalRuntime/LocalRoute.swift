import SerinCore

/// How the local runtime tells the router where each model's versions listen.
public protocol LocalTrafficRouting: Sendable {
    /// Replaces every route at once; weights change atomically for new requests.
    func route(_ routes: [LocalRoute]) async
    /// Waits until requests in flight to the model's `version` have finished (or `timeout` passed), before its
    /// process stops.
    func drain(_ key: DeploymentKey, version: String, timeout: Duration) async
}

/// Where one model's traffic goes.
public struct LocalRoute: Sendable, Hashable {
    public var key: DeploymentKey
    /// The name clients use in `/v2/models/<name>/…`.
    public var modelName: String
    public var stable: LocalUpstream?
    public var canary: LocalUpstream?
    public var canaryWeight: Int
}

public struct LocalUpstream: Sendable, Hashable {
    public var version: String
    public var port: Int
}

extension LocalRoute {
    /// Each ready version's share of the traffic and its port, as the router splits it: `v1 80% on :5001, v2 20% on
    /// :5002`. A version alone takes everything whatever the weight; while no version is ready, the text says so and
    /// what requests get meanwhile.
    public var sharesText: String {
        let shares: [(LocalUpstream, Int)] = switch (stable, canary) {
        case let (stable?, canary?): [(stable, 100 - canaryWeight), (canary, canaryWeight)]
        case let (stable?, nil): [(stable, 100)]
        case let (nil, canary?): [(canary, 100)]
        case (nil, nil): []
        }
        guard !shares.isEmpty else { return "none: no version is ready, so requests get 503" }
        return shares.map { upstream, share in "v\(upstream.version) \(share)% on :\(upstream.port)" }.joined(separator: ", ")
    }
}
