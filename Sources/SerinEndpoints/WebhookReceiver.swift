/// Judges one webhook request for one endpoint: first the credential, then the event, then the branch. Pure, so
/// every provider's rules are tested without a server; the server only moves bytes and acts on the outcome.
///
/// Nothing is read from a payload before its signature or token checks out, and an endpoint without a secret
/// refuses everything: an unsigned request can never trigger a sync.
public struct WebhookReceiver: Sendable {
    public let endpoint: WebhookEndpoint
    /// The branch holding the desired state; pushes to other refs are acknowledged and ignored.
    public let branch: String
    private let verifier: WebhookVerifier?

    /// A receiver; `secret` nil turns the endpoint off.
    public init(endpoint: WebhookEndpoint, secret: WebhookSecret?, branch: String) {
        self.endpoint = endpoint
        self.branch = branch
        self.verifier = secret.map(WebhookVerifier.init(secret:))
    }

    public var isEnabled: Bool { verifier != nil }

    /// The outcome for a complete request (the server refuses oversized bodies before they get here).
    public func receive(_ request: WebhookRequest) -> WebhookOutcome {
        guard let verifier else {
            return WebhookOutcome(result: .disabled, message: Self.disabledMessage(endpoint))
        }
        do throws(WebhookVerifier.Failure) {
            switch endpoint {
            case .github, .generic:
                try verifier.verifySignature(request.values(of: endpoint.credentialHeader), header: endpoint.credentialHeader,
                                             body: request.body)
            case .gitlab:
                try verifier.verifyToken(request.values(of: endpoint.credentialHeader), header: endpoint.credentialHeader)
            }
        } catch {
            return WebhookOutcome(result: .unauthorized, message: error.description)
        }
        switch endpoint {
        case .github: return github(request)
        case .gitlab: return gitlab(request)
        case .generic: return generic(request)
        }
    }

    static func disabledMessage(_ endpoint: WebhookEndpoint) -> String {
        "\(endpoint.path) is off: Serin has no webhook secret for it; start Serin with --webhook-secret-file "
            + "(or SERIN_WEBHOOK_SECRET) and give the provider the same secret"
    }

    private func github(_ request: WebhookRequest) -> WebhookOutcome {
        guard let event = request.value(of: "X-GitHub-Event") else {
            return WebhookOutcome(result: .badRequest, message: "the request has no X-GitHub-Event header")
        }
        switch event {
        case "ping":
            return WebhookOutcome(result: .ping, message: "pong: Serin syncs on pushes to \(branch)")
        case "push":
            return push(request)
        default:
            return WebhookOutcome(result: .ignored, message: "\(event) events are ignored; Serin syncs on push events to \(branch)")
        }
    }

    private func gitlab(_ request: WebhookRequest) -> WebhookOutcome {
        guard let event = request.value(of: "X-Gitlab-Event") else {
            return WebhookOutcome(result: .badRequest, message: "the request has no X-Gitlab-Event header")
        }
        guard event == "Push Hook" else {
            return WebhookOutcome(result: .ignored, message: "\(event) events are ignored; Serin syncs on Push Hook events to \(branch)")
        }
        return push(request)
    }

    /// Any signed request syncs; a JSON object naming another `ref` does not.
    private func generic(_ request: WebhookRequest) -> WebhookOutcome {
        let event = (try? PushEvent.parse(json: request.body)) ?? PushEvent()
        if let ref = event.ref, !event.moves(branch: branch) {
            return ignoredRef(ref, event)
        }
        return triggered(event)
    }

    private func push(_ request: WebhookRequest) -> WebhookOutcome {
        if let type = request.value(of: "Content-Type"), type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            return WebhookOutcome(result: .badRequest,
                                  message: "the body is form-encoded; set the webhook's content type to application/json")
        }
        let event: PushEvent
        do throws(PushEvent.ParseError) {
            event = try PushEvent.parse(json: request.body)
        } catch {
            return WebhookOutcome(result: .badRequest, message: error.description)
        }
        guard let ref = event.ref else {
            return WebhookOutcome(result: .badRequest, message: "the push payload has no \"ref\"", push: event)
        }
        guard event.moves(branch: branch) else { return ignoredRef(ref, event) }
        return triggered(event)
    }

    private func ignoredRef(_ ref: String, _ event: PushEvent) -> WebhookOutcome {
        WebhookOutcome(result: .ignored, message: "a push to \(ref) is ignored; Serin syncs on pushes to \(branch)", push: event)
    }

    private func triggered(_ event: PushEvent) -> WebhookOutcome {
        WebhookOutcome(result: .triggered, message: "sync triggered for \(branch)", push: event)
    }
}
