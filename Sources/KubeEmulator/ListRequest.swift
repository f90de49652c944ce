import SerinCore

/// A list or watch request's query, decoded.
struct ListRequest: Sendable {
    var filter: WatchFilter
    var limit: Int?
    var continueToken: String?
    var resourceVersion: String?
    var allowWatchBookmarks = false
    var timeoutSeconds: Int?
    /// WatchList: the current objects as ADDED events, then a BOOKMARK annotated `k8s.io/initial-events-end`.
    var sendInitialEvents = false
}
