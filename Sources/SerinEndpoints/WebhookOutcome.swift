/// The receiver's verdict on one webhook request: what to answer, why, and whether to sync.
public struct WebhookOutcome: Sendable, Hashable {
    public var result: WebhookResult
    /// Why, for the answer's JSON body and the log line. Never holds the secret or the credential sent.
    public var message: String
    /// The push, when the request carried one.
    public var push: PushEvent?

    public init(result: WebhookResult, message: String, push: PushEvent? = nil) {
        self.result = result
        self.message = message
        self.push = push
    }

    public var triggersSync: Bool { result == .triggered }
    public var status: Int { result.status }
}
