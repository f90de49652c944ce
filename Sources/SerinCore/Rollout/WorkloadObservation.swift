/// What the runtime reports about one revision's workload, read just before a decision.
public struct WorkloadObservation: Sendable, Hashable {
    /// Fully available: for Kubernetes, the rule `kubectl rollout status` applies; for a local process, its readiness
    /// probe answers 2xx.
    public var isReady: Bool
    /// The workload gave up: a crash loop, a process that exited, an image that cannot be pulled, or (on Kubernetes)
    /// a Deployment whose own progress deadline passed. A crashed canary rolls back at once.
    public var hasFailed: Bool
    /// What went wrong or what is awaited, in the runtime's words, for the transition's reason.
    public var message: String?

    public init(isReady: Bool, hasFailed: Bool = false, message: String? = nil) {
        self.isReady = isReady
        self.hasFailed = hasFailed
        self.message = message
    }

    public static let ready = WorkloadObservation(isReady: true)
    public static let starting = WorkloadObservation(isReady: false)
}
