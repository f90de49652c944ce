import SerinHTTP

/// How to reach Prometheus (or any server speaking its HTTP API).
public struct PrometheusConfiguration: Sendable {
    /// The API's base, such as `http://prometheus.monitoring:9090` or `https://metrics.example/prometheus`;
    /// `/api/v1/query` is appended.
    public var url: String
    public var authentication: PrometheusAuthentication?
    public var tls: TLSOptions
    /// How long one query may take, connection included; also sent as the query's `timeout` so Prometheus stops
    /// evaluating when Serin stops waiting.
    public var timeout: Duration

    public init(url: String, authentication: PrometheusAuthentication? = nil, tls: TLSOptions = TLSOptions(),
                timeout: Duration = .seconds(10)) {
        self.url = url
        self.authentication = authentication
        self.tls = tls
        self.timeout = timeout
    }
}

/// Credentials for Prometheus. Never logged, never part of an error message.
public enum PrometheusAuthentication: Sendable {
    case basic(username: String, password: String)
    case bearer(token: String)
}
