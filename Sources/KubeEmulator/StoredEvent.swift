import SerinCore

/// One change kept in the bounded history that watches resume from. `previous` is the state before a
/// modification, so a selector watch can tell an object that starts or stops matching (ADDED/DELETED).
struct StoredEvent: Sendable {
    var resourceVersion: Int64
    var storageKey: String
    var type: WatchEventType
    var object: JSONValue
    var previous: JSONValue?
}
