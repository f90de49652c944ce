/// What became of a webhook request. The raw values are the `result` label of `serin_webhook_requests_total`, so
/// they never change once released.
public enum WebhookResult: String, Sendable, Hashable, CaseIterable {
    /// A push to the watched branch (or a signed generic request): a sync was triggered.
    case triggered
    /// Signed and understood, but not a push to the watched branch: acknowledged, nothing done.
    case ignored
    /// GitHub's `ping` on creating the webhook.
    case ping
    /// The signature or token is missing, malformed or wrong.
    case unauthorized
    /// The endpoint has no secret, so it refuses everything.
    case disabled
    /// The body is over the limit; it was not read.
    case tooLarge = "too_large"
    /// Signed, but the payload cannot be read.
    case badRequest = "bad_request"
    /// Not a POST.
    case methodNotAllowed = "method_not_allowed"

    /// The HTTP status answered. A triggered sync runs after the answer, hence 202 Accepted.
    public var status: Int {
        switch self {
        case .triggered: 202
        case .ignored, .ping: 200
        case .unauthorized: 401
        case .disabled: 403
        case .tooLarge: 413
        case .badRequest: 400
        case .methodNotAllowed: 405
        }
    }
}
