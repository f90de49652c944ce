import NIOHTTP1

/// What a request path asks for. Pure: the query string is ignored, paths match exactly.
enum EndpointRoute: Sendable, Hashable {
    case healthz
    case readyz
    case metrics
    case webhook(WebhookEndpoint)
    case notFound

    init(uri: String) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        switch path {
        case "/healthz": self = .healthz
        case "/readyz": self = .readyz
        case "/metrics": self = .metrics
        default: self = WebhookEndpoint(path: path).map(EndpointRoute.webhook) ?? .notFound
        }
    }

    /// The methods the route answers; others get 405.
    var allowedMethods: [HTTPMethod] {
        switch self {
        case .healthz, .readyz, .metrics: [.GET, .HEAD]
        case .webhook: [.POST]
        case .notFound: []
        }
    }

    /// Every path served, for the 404 message and the start log line.
    static let pathsText = "GET /healthz, GET /readyz, GET /metrics, "
        + WebhookEndpoint.allCases.map { "POST \($0.path)" }.joined(separator: ", ")
}
