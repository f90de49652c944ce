import SerinCore

/// What the API layer answers: a complete body, or a watch stream the HTTP layer writes line by line.
enum EmulatorResponse: Sendable {
    case json(status: Int, body: JSONValue, headers: [(String, String)] = [])
    case text(status: Int, body: String)
    case watch(WatchStream)

    static func error(_ error: APIStatusError) -> EmulatorResponse {
        var headers: [(String, String)] = []
        if let retryAfter = error.retryAfterSeconds { headers.append(("Retry-After", String(retryAfter))) }
        return .json(status: error.code, body: error.status, headers: headers)
    }

    static let pageNotFound = EmulatorResponse.text(status: 404, body: "404 page not found\n")

    var status: Int {
        switch self {
        case .json(let status, _, _), .text(let status, _): return status
        case .watch: return 200
        }
    }
}

/// An open watch as the HTTP layer streams it: its events, when it ends, and how to end it in order.
struct WatchStream: Sendable {
    var events: AsyncStream<JSONValue>
    var timeout: Duration
    var maximumEvents: Int?
    /// Ends the event stream after the events already queued, with a closing BOOKMARK when the client asked for
    /// bookmarks (the real server sends one shortly before timeoutSeconds).
    var finish: @Sendable () async -> Void
    /// How often to queue a BOOKMARK (nil: the client did not ask for bookmarks).
    var bookmarkInterval: Duration?
    var sendBookmark: @Sendable () async -> Void
    /// Unregisters the watch at once, whatever is queued (the client went, or the stream was dropped).
    var abandon: @Sendable () async -> Void
}
