/// One request the emulator answered, so tests can assert which verbs and resources a component used.
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

    public init(method: String, path: String, query: String, contentType: String?, status: Int, userAgent: String?) {
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.status = status
        self.userAgent = userAgent
    }
}
