import Foundation
import Logging
import SerinCore

/// A change the informer applied to its cache.
public struct InformerChange: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case added, updated, deleted
    }

    public var kind: Kind
    /// `namespace/name`, or `name` for cluster-scoped objects: the key work queues use.
    public var key: String
    /// The object as now cached; for `deleted`, its last known state.
    public var object: JSONValue
}

/// The informer's cache: objects keyed by `namespace/name`, as last listed or watched.
///
/// With an `index` (client-go's indexer), objects are also grouped by the value it gives them, so a controller that
/// asks "which objects belong to this owner" on every pass reads that group instead of scanning the whole cache:
/// with a thousand models, a scan per model made every resync quadratic.
public actor InformerCache {
    private var objects: [String: JSONValue] = [:]
    private var synced = false
    private var syncWaiters: [CheckedContinuation<Void, Never>] = []
    private let index: (@Sendable (JSONValue) -> String?)?
    /// Index value → keys of the objects with that value.
    private var groups: [String: Set<String>] = [:]

    /// `index` names the group an object belongs to (nil: none); `list(indexedBy:)` reads one group.
    public init(index: (@Sendable (JSONValue) -> String?)? = nil) {
        self.index = index
    }

    public static func key(of object: JSONValue) -> String {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        if let namespace = object["metadata"]?["namespace"]?.stringValue, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    public func get(namespace: String?, name: String) -> JSONValue? {
        objects[namespace.map { "\($0)/\(name)" } ?? name]
    }

    public func get(key: String) -> JSONValue? { objects[key] }

    /// Every cached object, sorted by key.
    public func list() -> [JSONValue] {
        objects.keys.sorted().compactMap { objects[$0] }
    }

    /// The cached objects `index` puts in group `value`, sorted by key; empty without an index.
    public func list(indexedBy value: String) -> [JSONValue] {
        (groups[value] ?? []).sorted().compactMap { objects[$0] }
    }

    /// The values `index` gave the cached objects (every non-empty group).
    public var indexValues: [String] { Array(groups.keys) }

    public var keys: [String] { objects.keys.sorted() }
    public var count: Int { objects.count }

    /// True once the first list has been stored.
    public var hasSynced: Bool { synced }

    /// Returns once the first list has been stored.
    public func waitForSync() async {
        if synced { return }
        await withCheckedContinuation { syncWaiters.append($0) }
    }

    /// Replaces the whole content with a fresh list, returning what changed relative to what was cached.
    func replace(with items: [JSONValue]) -> [InformerChange] {
        var fresh: [String: JSONValue] = [:]
        for item in items { fresh[Self.key(of: item)] = item }
        var changes: [InformerChange] = []
        for (key, object) in objects where fresh[key] == nil {
            changes.append(InformerChange(kind: .deleted, key: key, object: object))
        }
        for (key, object) in fresh {
            if let old = objects[key] {
                if resourceVersion(old) != resourceVersion(object) || old != object {
                    changes.append(InformerChange(kind: .updated, key: key, object: object))
                }
            } else {
                changes.append(InformerChange(kind: .added, key: key, object: object))
            }
        }
        objects = fresh
        if let index {
            groups = [:]
            for (key, object) in fresh {
                if let value = index(object) { groups[value, default: []].insert(key) }
            }
        }
        if !synced {
            synced = true
            for waiter in syncWaiters { waiter.resume() }
            syncWaiters = []
        }
        return changes.sorted { $0.key < $1.key }
    }

    /// Applies one watch event; nil when it changes nothing (a replayed event after a resume, say).
    func apply(_ event: WatchEvent) -> InformerChange? {
        let key = Self.key(of: event.object)
        switch event.type {
        case .added, .modified:
            if let old = objects[key] {
                if old == event.object { return nil }
                regroup(key, from: old, to: event.object)
                objects[key] = event.object
                return InformerChange(kind: .updated, key: key, object: event.object)
            }
            regroup(key, from: nil, to: event.object)
            objects[key] = event.object
            return InformerChange(kind: .added, key: key, object: event.object)
        case .deleted:
            guard let old = objects.removeValue(forKey: key) else { return nil }
            regroup(key, from: old, to: nil)
            return InformerChange(kind: .deleted, key: key, object: event.type == .deleted ? event.object : old)
        case .bookmark, .error:
            return nil
        }
    }

    private func regroup(_ key: String, from old: JSONValue?, to new: JSONValue?) {
        guard let index else { return }
        let before = old.flatMap(index)
        let after = new.flatMap(index)
        guard before != after else { return }
        if let before {
            groups[before]?.remove(key)
            if groups[before]?.isEmpty == true { groups[before] = nil }
        }
        if let after { groups[after, default: []].insert(key) }
    }

    private func resourceVersion(_ object: JSONValue) -> String? {
        object["metadata"]?["resourceVersion"]?.stringValue
    }
}

/// Keeps a cache of one resource type in step with the API server, the way client-go's reflector does: list, then
/// watch from the list's resourceVersion with bookmarks and a server-side timeout; every event, bookmarks included,
/// advances the resourceVersion so a dropped watch resumes where it left off; an expired resourceVersion (an ERROR
/// event with 410, or HTTP 410) means list again; other failures back off exponentially with jitter.
///
/// Memory stays bounded to one copy of each object, reduced by `transform` (by default dropping
/// `metadata.managedFields`, which is often the bulk of an object and of no use to a controller).
public final class Informer: Sendable {
    public struct Options: Sendable {
        public var labelSelector: String?
        public var fieldSelector: String?
        /// Page size of the list.
        public var pageSize: Int
        /// Each watch asks the server to close after a random time in this range, as client-go does (5-10 min).
        public var watchTimeoutSeconds: ClosedRange<Int>
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// Applied to every object before it is cached and reported.
        public var transform: @Sendable (JSONValue) -> JSONValue
        /// Groups the cache's objects for `InformerCache.list(indexedBy:)`.
        public var index: (@Sendable (JSONValue) -> String?)?

        public init(labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
                    watchTimeoutSeconds: ClosedRange<Int> = 300...600, initialBackoff: Duration = .milliseconds(800),
                    maxBackoff: Duration = .seconds(30),
                    transform: @escaping @Sendable (JSONValue) -> JSONValue = Informer.dropManagedFields,
                    index: (@Sendable (JSONValue) -> String?)? = nil) {
            self.index = index
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.pageSize = pageSize
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.transform = transform
        }
    }

    public static let dropManagedFields: @Sendable (JSONValue) -> JSONValue = { object in
        var object = object
        if object["metadata"]?["managedFields"] != nil {
            object["metadata"]?["managedFields"] = nil
        }
        return object
    }

    public let type: ResourceType
    public let namespace: String?
    public let cache: InformerCache
    /// Every change applied to the cache, in order. One consumer; it ends when `run` returns.
    public let changes: AsyncStream<InformerChange>
    private let continuation: AsyncStream<InformerChange>.Continuation
    private let client: KubeClient
    private let options: Options
    private let logger: Logger

    /// `namespace` nil watches all namespaces.
    public init(client: KubeClient, type: ResourceType, namespace: String?, options: Options = Options(),
                logger: Logger = Logger(label: "serin.kube.informer")) {
        self.client = client
        self.type = type
        self.namespace = namespace
        self.options = options
        self.logger = logger
        cache = InformerCache(index: options.index)
        (changes, continuation) = AsyncStream<InformerChange>.makeStream()
    }

    /// Lists and watches until the calling task is cancelled. Call once.
    public func run() async {
        defer { continuation.finish() }
        var resourceVersion: String?
        var needsList = true
        var failures = 0
        while !Task.isCancelled {
            do throws(KubeError) {
                if needsList {
                    let list = try await client.list(type, namespace: namespace, options: ListOptions(
                        labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.pageSize))
                    let changes = await cache.replace(with: list.items.map(options.transform))
                    for change in changes { continuation.yield(change) }
                    resourceVersion = list.resourceVersion
                    needsList = false
                    logger.debug("listed", metadata: ["resource": "\(type)", "count": "\(list.items.count)", "resourceVersion": "\(list.resourceVersion)"])
                }
                let started = ContinuousClock.now
                var events = 0
                let stream = try await client.watch(type, namespace: namespace, options: WatchOptions(
                    labelSelector: options.labelSelector, fieldSelector: options.fieldSelector,
                    resourceVersion: resourceVersion, allowWatchBookmarks: true,
                    timeoutSeconds: Int.random(in: options.watchTimeoutSeconds)))
                for try await event in stream {
                    events += 1
                    if event.type == .error {
                        let error = event.error ?? .invalidResponse("ERROR event")
                        throw error
                    }
                    var event = event
                    if event.type != .bookmark {
                        event.object = options.transform(event.object)
                        if let change = await cache.apply(event) { continuation.yield(change) }
                    }
                    if let version = event.resourceVersion { resourceVersion = version }
                }
                // A watch that ends at once with nothing in it is a failure in disguise (client-go's rule).
                if events == 0 && ContinuousClock.now - started < .seconds(1) {
                    throw KubeError.transport("the watch closed immediately without events")
                }
                failures = 0
            } catch .gone {
                logger.info("resourceVersion expired; listing again", metadata: ["resource": "\(type)"])
                needsList = true
                failures = 0
            } catch .cancelled {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                var delay = backoff(failures)
                if case .tooManyRequests(_, let retryAfter?) = error { delay = max(delay, retryAfter) }
                logger.info("list or watch failed; backing off", metadata: [
                    "resource": "\(type)", "error": "\(error)", "delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    /// Exponential backoff from `initialBackoff`, doubled per consecutive failure up to `maxBackoff`, stretched by
    /// a random factor in [1, 1.5) so that many informers do not retry in step.
    private func backoff(_ failures: Int) -> Duration {
        var delay = options.initialBackoff
        for _ in 1..<max(1, min(failures, 30)) {
            delay *= 2
            if delay >= options.maxBackoff { delay = options.maxBackoff; break }
        }
        return delay * Double.random(in: 1.0..<1.5)
    }
}
