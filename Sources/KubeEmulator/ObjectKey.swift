/// Where one object lives: its resource's storage identity, namespace ("" for cluster-scoped) and name.
struct ObjectKey: Sendable, Hashable, Comparable {
    var storageKey: String
    var namespace: String
    var name: String

    /// Lists and continue tokens walk objects in this order, like etcd's key order.
    var sortKey: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool { lhs.sortKey < rhs.sortKey }
}
