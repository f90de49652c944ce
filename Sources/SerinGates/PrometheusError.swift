/// Why Prometheus gave no number. Each case is one thing for the user to do, so the checker can say it.
public enum PrometheusError: Error, Sendable, Hashable {
    /// Prometheus refused the query itself (HTTP 400 `bad_data`: a syntax error; 422 `execution`: a query that
    /// cannot be evaluated, such as ambiguous vector matching). A configuration error, with the server's words.
    case badQuery(errorType: String, message: String)
    /// Prometheus answered with another error status: overloaded, timed out evaluating, refusing the credentials.
    case serverError(status: Int, message: String)
    /// No answer: connection refused, DNS, TLS, or no response within the timeout.
    case unreachable(String)
    /// An answer that is not the Prometheus API's: HTML from a proxy, a result type a gate cannot use.
    case unexpectedResponse(String)
    /// The check was cancelled (Serin is shutting down).
    case cancelled
}

extension PrometheusError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .badQuery(let errorType, let message):
            "Prometheus refused the query as invalid (\(errorType)): \(message)"
        case .serverError(let status, let message) where status == 401 || status == 403:
            "Prometheus refused the request (HTTP \(status)): \(message); check the credentials Serin uses for it"
        case .serverError(let status, let message):
            "Prometheus answered HTTP \(status): \(message)"
        case .unreachable(let message):
            "Prometheus did not answer: \(message)"
        case .unexpectedResponse(let message):
            "Prometheus' answer cannot be read: \(message); check that the URL points at the Prometheus HTTP API"
        case .cancelled:
            "the query was cancelled"
        }
    }
}
