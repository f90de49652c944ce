import SerinCore

/// What one watch (or list) selects: a resource, optionally one namespace, and label and field selectors.
struct WatchFilter: Sendable {
    var type: ResourceType
    var namespace: String?
    var labelSelector: LabelSelector?
    var fieldSelector: FieldSelector?

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object[path: "metadata", "namespace"]?.stringValue != namespace { return false }
        if let labelSelector, !labelSelector.matches(ObjectMetadata.labels(of: object)) { return false }
        if let fieldSelector, !fieldSelector.matches(type.selectorFields(of: object)) { return false }
        return true
    }

    /// The event a watcher with this filter sees for a stored change, or nil when it sees none: an object that
    /// starts matching is ADDED, one that stops matching is DELETED.
    func translate(_ event: StoredEvent) -> (WatchEventType, JSONValue)? {
        guard event.storageKey == type.storageKey else { return nil }
        let now = matches(event.object)
        switch event.type {
        case .added: return now ? (.added, event.object) : nil
        case .deleted: return now ? (.deleted, event.object) : nil
        case .modified:
            let before = event.previous.map(matches) ?? false
            switch (before, now) {
            case (true, true): return (.modified, event.object)
            case (false, true): return (.added, event.object)
            case (true, false): return (.deleted, event.object)
            case (false, false): return nil
            }
        case .bookmark, .error: return nil
        }
    }
}
