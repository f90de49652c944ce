/// Whether this replica should get traffic and count as up: what `GET /readyz` answers.
public enum Readiness: Sendable, Hashable {
    case ready
    /// Not ready yet, and why (the 503 body says it, for whoever runs `kubectl describe`).
    case notReady(reason: String)

    public var isReady: Bool { self == .ready }
}
