import SerinCore

/// One model version's serving process: where the router sends that version's share of the traffic.
public struct Upstream: Sendable, Hashable, CustomStringConvertible {
    /// The model's version (`spec.model.version`), as it appears in metric labels, in `X-Serin-Version` and in
    /// error messages.
    public var version: String
    /// A host name or IP address; in the local runtime always a loopback address.
    public var host: String
    public var port: Int

    public init(version: String, host: String = "127.0.0.1", port: Int) {
        self.version = version
        self.host = host
        self.port = port
    }

    /// `v2 at 127.0.0.1:9002`.
    public var description: String { "\(version) at \(UpstreamAddress(host: host, port: port))" }

    var address: UpstreamAddress { UpstreamAddress(host: host, port: port) }
}

/// How one model's requests are divided: the router's view of a `TrafficSplit`, with the addresses of the
/// revisions' processes filled in by the runtime that started them.
public struct ModelRoute: Sendable, Hashable {
    /// The ModelDeployment whose traffic this is; it names the metric series.
    public var key: DeploymentKey
    /// The model name in request paths (`/v2/models/<modelName>/…`), the served model's `spec.model.name`.
    public var modelName: String
    /// Takes `100 - canaryWeight` percent; nil when there is none (a first deployment, or a canary promoted alone).
    public var stable: Upstream?
    /// Takes `canaryWeight` percent; nil when there is no canary.
    public var canary: Upstream?
    /// 0 to 100. With no stable upstream the canary takes all traffic, whatever the weight; with no canary the
    /// stable one does. A version with weight 0 still answers requests that pin it with `X-Serin-Version`, so a
    /// canary can be tried by hand before it takes any share.
    public var canaryWeight: Int

    public init(key: DeploymentKey, modelName: String, stable: Upstream?, canary: Upstream? = nil, canaryWeight: Int = 0) {
        self.key = key
        self.modelName = modelName
        self.stable = stable
        self.canary = canary
        self.canaryWeight = canaryWeight
    }

    /// The upstreams present, stable first.
    public var upstreams: [Upstream] { [stable, canary].compactMap { $0 } }

    /// The share of new requests each version takes, in percent (versions with no share are left out).
    public var weights: [String: Int] {
        switch (stable, canary) {
        case (nil, nil): return [:]
        case (let stable?, nil): return [stable.version: 100]
        case (nil, let canary?): return [canary.version: 100]
        case (let stable?, let canary?):
            var weights: [String: Int] = [:]
            if canaryWeight < 100 { weights[stable.version] = 100 - canaryWeight }
            if canaryWeight > 0 { weights[canary.version] = canaryWeight }
            return weights
        }
    }
}

/// Where an upstream listens. Pooled connections are kept per address, so two versions served by the same process
/// share connections.
struct UpstreamAddress: Hashable, Sendable, CustomStringConvertible {
    let host: String
    let port: Int
    /// Worked out once: the pool looks an address up twice per request, and hashing the host each time would cost
    /// more than the rest of the look-up.
    private let hashKey: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        var key = port
        for byte in host.utf8 { key = key &* 31 &+ Int(byte) }
        self.hashKey = key
    }

    static func == (lhs: UpstreamAddress, rhs: UpstreamAddress) -> Bool {
        lhs.port == rhs.port && lhs.host == rhs.host
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hashKey)
    }

    /// `127.0.0.1:9001`, `[::1]:9001`: also the `Host` header sent upstream.
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
