/// One health check a version must pass before it takes more traffic.
public struct Gate: Sendable, Hashable {
    /// Unique within a ModelDeployment; ledger commits and metrics name gates by it.
    public var name: String
    public var check: GateCheck

    public init(name: String, check: GateCheck) {
        self.name = name
        self.check = check
    }
}

public enum GateCheck: Sendable, Hashable {
    /// The fraction of requests to the version that succeed, held to an absolute floor, to the stable version's, or
    /// to both.
    case successRate(SuccessRateCheck)
    /// A quantile of request latency, held to an absolute ceiling, to the stable version's, or to both.
    case latency(LatencyCheck)
    /// The PromQL `query` must return one value within `min`...`max` (either bound may be absent, not both).
    case prometheus(query: String, min: Double?, max: Double?)
    /// The `url` must answer 2xx within `timeout` to a POST describing the rollout.
    case webhook(WebhookCheck)

    /// An absolute success-rate floor alone: what most gates are.
    public static func successRate(min: Double) -> GateCheck { .successRate(SuccessRateCheck(min: min)) }

    /// An absolute latency ceiling alone.
    public static func latency(quantile: Double, max: SpecDuration) -> GateCheck {
        .latency(LatencyCheck(quantile: quantile, max: max))
    }

    /// An unsigned webhook.
    public static func webhook(url: String, timeout: SpecDuration, metadata: [String: String]) -> GateCheck {
        .webhook(WebhookCheck(url: url, timeout: timeout, metadata: metadata))
    }

    /// The key that introduces this check in YAML, also the gate's default name.
    public var kind: String {
        switch self {
        case .successRate: "successRate"
        case .latency: "latency"
        case .prometheus: "prometheus"
        case .webhook: "webhook"
        }
    }

    public static let kinds = ["successRate", "latency", "prometheus", "webhook"]
}

/// What a relative bound compares the canary with. Only the stable version today: the one serving the rest of the
/// traffic over the same interval, so both see the same load and the same upstream weather.
public enum GateBaseline: String, Sendable, Hashable, CaseIterable {
    case stable
}

/// `successRate: {min: 0.99, relativeTo: stable, maxDrop: 0.01}`. At least one of the two bounds is set; when both
/// are, both must hold.
public struct SuccessRateCheck: Sendable, Hashable {
    /// The lowest acceptable fraction of successful requests, 0 to 1.
    public var min: Double?
    /// Set with `relativeTo: stable`: the canary's rate may be at most this much (a fraction, not a ratio) below the
    /// stable version's rate in the same interval.
    public var maxDropFromStable: Double?

    public init(min: Double? = nil, maxDropFromStable: Double? = nil) {
        self.min = min
        self.maxDropFromStable = maxDropFromStable
    }
}

/// `latency: {quantile: 0.99, max: 250ms, relativeTo: stable, maxIncrease: 0.2}`. At least one of the two bounds
/// is set; when both are, both must hold.
public struct LatencyCheck: Sendable, Hashable {
    /// The quantile measured, above 0 and at most 1 (0.99 is p99).
    public var quantile: Double
    /// The highest acceptable latency at that quantile.
    public var max: SpecDuration?
    /// Set with `relativeTo: stable`: the canary's quantile may exceed the stable version's by at most this
    /// fraction of it (0.2 allows 20% slower).
    public var maxIncreaseOverStable: Double?

    public init(quantile: Double = SpecDefaults.latencyQuantile, max: SpecDuration? = nil, maxIncreaseOverStable: Double? = nil) {
        self.quantile = quantile
        self.max = max
        self.maxIncreaseOverStable = maxIncreaseOverStable
    }
}

/// `webhook: {url, timeout, metadata, secret}`: a POST describing the rollout; 2xx passes.
public struct WebhookCheck: Sendable, Hashable {
    public var url: String
    public var timeout: SpecDuration
    /// Sent along in the request body, for the receiver's own use (which test suite to run, say).
    public var metadata: [String: String]
    /// Where the HMAC key signing the body comes from; nil sends the body unsigned.
    public var secret: WebhookSecret?

    public init(url: String, timeout: SpecDuration = SpecDefaults.webhookTimeout, metadata: [String: String] = [:],
                secret: WebhookSecret? = nil) {
        self.url = url
        self.timeout = timeout
        self.metadata = metadata
        self.secret = secret
    }
}

/// Where a webhook's signing key is read from when a check runs. The key itself never appears in a
/// ModelDeployment: Git is no place for secrets, and everything in the spec ends up in plans and logs.
public enum WebhookSecret: Sendable, Hashable {
    /// A file holding the key (a mounted Kubernetes Secret, say), read afresh at every check so rotation needs no
    /// restart. A trailing newline is not part of the key.
    case file(String)
    /// An environment variable of the Serin process holding the key.
    case environment(String)
}

extension Gate {
    /// The environment variable this gate reads a signing key from, if any: a secret of Serin's, which processes
    /// Serin starts must not inherit.
    public var secretEnvironmentName: String? {
        guard case .webhook(let webhook) = check, case .environment(let name)? = webhook.secret else { return nil }
        return name
    }
}
