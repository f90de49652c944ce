/// Faults injected into the API, so clients can be tested against a misbehaving server. The default injects nothing.
public struct EmulatorFaults: Sendable, Equatable {
    /// Added before every answer.
    public var latency: Duration = .zero
    /// Share of requests (0...1) answered 500 InternalError before they are processed.
    public var internalErrorShare: Double = 0
    /// Share of requests (0...1) answered 429 TooManyRequests with `Retry-After`, before they are processed.
    public var tooManyRequestsShare: Double = 0
    /// The `Retry-After` seconds sent with a 429.
    public var retryAfterSeconds: Int = 1
    /// End every watch stream after this many events (nil: never).
    public var dropWatchesAfterEvents: Int?
    /// End every watch stream after this long (nil: only its timeoutSeconds).
    public var dropWatchesAfter: Duration?
    /// Answer every watch that names a resourceVersion with an ERROR event carrying 410 Expired.
    public var forceWatchExpired: Bool = false

    public init() {}
}
