/// One request the emulator answered, so tests can assert which verbs and resources a component used, and how it
/// reached the emulator (protocol version, connection reuse).
public struct EmulatorRequestRecord: Sendable, Equatable {
    public var method: String
    /// The path without the query.
    public var path: String
    /// The raw query string (without `?`), empty when there was none.
    public var query: String
    public var contentType: String?
    /// The HTTP status answered (200 for a watch that started streaming).
    public var status: Int
    public var userAgent: String?
    /// The protocol the request came over: "HTTP/1.1", "HTTP/1.0" or "HTTP/2" (negotiated by ALPN over TLS).
    public var httpVersion: String
    /// Which accepted connection carried the request, numbered from 1 in order of acceptance: requests that share a
    /// number shared a connection (keep-alive over HTTP/1.1, streams over HTTP/2).
    public var connection: Int
    /// When the whole request had arrived, on the emulator's process clock: benchmarks in the same process time
    /// a client's first write by it.
    public var receivedAt: ContinuousClock.Instant

    public init(method: String, path: String, query: String, contentType: String?, status: Int, userAgent: String?,
                httpVersion: String = "HTTP/1.1", connection: Int = 0, receivedAt: ContinuousClock.Instant = .now)
    {
        self.receivedAt = receivedAt
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.status = status
        self.userAgent = userAgent
        self.httpVersion = httpVersion
        self.connection = connection
    }
}
