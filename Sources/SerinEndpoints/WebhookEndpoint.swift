/// The webhook receivers, one per provider, each at its own path with its own way of proving the sender knows the
/// secret. Their raw values are the `endpoint` label of `serin_webhook_requests_total`.
public enum WebhookEndpoint: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// GitHub (and Gitea, Forgejo, Gogs in GitHub mode): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    case github
    /// GitLab: `X-Gitlab-Token: <the secret>`. GitLab signs nothing, so TLS in front of Serin is what keeps the
    /// token from being read on the way.
    case gitlab
    /// Anything else that can sign: `X-Serin-Signature: sha256=<hex HMAC-SHA256 of the body>`; a JSON body with
    /// `ref` is checked against the branch, any other body triggers a sync.
    case generic

    /// The request path, `POST` only.
    public var path: String { "/hooks/\(rawValue)" }

    /// The header carrying the signature or token.
    public var credentialHeader: String {
        switch self {
        case .github: "X-Hub-Signature-256"
        case .gitlab: "X-Gitlab-Token"
        case .generic: "X-Serin-Signature"
        }
    }

    public var description: String { path }

    /// The endpoint at `path`, if any.
    public init?(path: String) {
        guard let endpoint = Self.allCases.first(where: { $0.path == path }) else { return nil }
        self = endpoint
    }
}
