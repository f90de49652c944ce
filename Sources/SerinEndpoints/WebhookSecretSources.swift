/// Which secret each webhook endpoint checks. An endpoint without one is off: it refuses every request, so a
/// forgotten secret never turns into an endpoint that anybody can trigger.
public struct WebhookSecretSources: Sendable {
    public var github: SecretSource?
    public var gitlab: SecretSource?
    public var generic: SecretSource?

    public init(github: SecretSource? = nil, gitlab: SecretSource? = nil, generic: SecretSource? = nil) {
        self.github = github
        self.gitlab = gitlab
        self.generic = generic
    }

    /// One secret for every endpoint: what `--webhook-secret-file` gives.
    public static func shared(_ source: SecretSource?) -> WebhookSecretSources {
        WebhookSecretSources(github: source, gitlab: source, generic: source)
    }

    /// Every endpoint off.
    public static let none = WebhookSecretSources()

    /// The environment variable `serin run` reads the shared secret from when no file is given.
    public static let environmentVariable = "SERIN_WEBHOOK_SECRET"

    /// What `serin run` uses: the file of `--webhook-secret-file` when given, else `SERIN_WEBHOOK_SECRET` when it is
    /// set, else nothing (every webhook off). The file wins so a secret mounted for the purpose is never shadowed
    /// by a stray variable.
    public static func commandLine(secretFile: String?, environment: [String: String]) -> WebhookSecretSources {
        if let secretFile, !secretFile.isEmpty { return .shared(.file(secretFile)) }
        if environment[environmentVariable] != nil { return .shared(.environment(environmentVariable)) }
        return .none
    }

    public subscript(endpoint: WebhookEndpoint) -> SecretSource? {
        get {
            switch endpoint {
            case .github: github
            case .gitlab: gitlab
            case .generic: generic
            }
        }
        set {
            switch endpoint {
            case .github: github = newValue
            case .gitlab: gitlab = newValue
            case .generic: generic = newValue
            }
        }
    }

    /// Reads every configured secret; the first that cannot be read fails the whole start.
    func load(environment: [String: String]) throws(EndpointsError) -> [WebhookEndpoint: WebhookSecret] {
        var secrets: [WebhookEndpoint: WebhookSecret] = [:]
        for endpoint in WebhookEndpoint.allCases {
            if let source = self[endpoint] {
                secrets[endpoint] = try source.load(environment: environment)
            }
        }
        return secrets
    }
}
