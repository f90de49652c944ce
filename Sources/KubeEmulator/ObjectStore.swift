import Logging
import SerinCore

/// The emulator's storage: every object, the resource types being served (built-in and from CRDs), one cluster-wide
/// increasing resourceVersion, a bounded history of changes for watches, and the open watches themselves.
///
/// Every write happens inside this actor, so a write, its new resourceVersion and the events it sends to watchers
/// are one atomic step, and a watch that starts from a resourceVersion misses nothing and sees nothing twice.
actor ObjectStore {
    /// The resource types served, keyed by `group/version/plural`.
    var types: [String: ResourceType] = [:]
    /// Write objects only through `put`, which keeps `ownedObjects` in step.
    private(set) var objects: [ObjectKey: JSONValue] = [:]
    /// The objects with ownerReferences, so that a delete looks for dependents among these only.
    private(set) var ownedObjects: Set<ObjectKey> = []
    /// The last resourceVersion handed out.
    var resourceVersion: Int64 = 0
    var history: [StoredEvent] = []
    /// The newest resourceVersion that has left the history: a watch from anything older gets 410 Expired.
    var compactedThrough: Int64 = 0
    let historyLimit: Int
    var watchers: [Int: ActiveWatch] = [:]
    var nextWatchID = 0
    let logger: Logger
    /// Deliberate bugs for the conformance suite's own tests; empty otherwise.
    let conformanceFaults: Set<ConformanceFault>

    // The deployment controller simulation.
    var deploymentReadyAfter: Duration
    let simulatesDeploymentController: Bool
    var deploymentBehaviours: [ObjectKey: DeploymentBehaviour] = [:]
    var rolloutTasks: [ObjectKey: Task<Void, Never>] = [:]

    /// One open watch: what it selects and where its events go.
    struct ActiveWatch {
        var filter: WatchFilter
        var continuation: AsyncStream<JSONValue>.Continuation
    }

    init(historyLimit: Int, deploymentReadyAfter: Duration, simulatesDeploymentController: Bool = true,
         conformanceFaults: Set<ConformanceFault> = [], logger: Logger)
    {
        self.simulatesDeploymentController = simulatesDeploymentController
        self.conformanceFaults = conformanceFaults
        self.historyLimit = max(1, historyLimit)
        self.deploymentReadyAfter = deploymentReadyAfter
        self.logger = logger
        for type in BuiltInResources.all { types[Self.typeKey(type)] = type }
        for namespace in ["default", "kube-system", "kube-public"] {
            let key = ObjectKey(storageKey: "/namespaces", namespace: "", name: namespace)
            resourceVersion += 1
            objects[key] = [
                "kind": "Namespace", "apiVersion": "v1",
                "metadata": [
                    "name": .string(namespace), "uid": .string(ObjectMetadata.newUID()),
                    "resourceVersion": .string(String(resourceVersion)),
                    "creationTimestamp": .string(ObjectMetadata.timestamp()),
                    "labels": ["kubernetes.io/metadata.name": .string(namespace)],
                ],
                "spec": ["finalizers": ["kubernetes"]],
                "status": ["phase": "Active"],
            ]
        }
    }

    /// Stores (or with nil removes) an object.
    func put(_ key: ObjectKey, _ object: JSONValue?) {
        objects[key] = object
        if let references = object?[path: "metadata", "ownerReferences"]?.arrayValue, !references.isEmpty {
            ownedObjects.insert(key)
        } else {
            ownedObjects.remove(key)
        }
    }

    // MARK: Resource types

    func register(_ type: ResourceType) {
        types[Self.typeKey(type)] = type
    }

    static func typeKey(_ type: ResourceType) -> String { "\(type.group)/\(type.version)/\(type.plural)" }

    func unregister(group: String, plural: String) {
        types = types.filter { !($0.value.group == group && $0.value.plural == plural) }
    }

    func type(group: String, version: String, plural: String) -> ResourceType? {
        types["\(group)/\(version)/\(plural)"]
    }

    func allTypes() -> [ResourceType] { Array(types.values) }

    // MARK: Events

    /// Hands out the next resourceVersion and stamps it on the object.
    func nextResourceVersion(for object: inout JSONValue) -> Int64 {
        resourceVersion += 1
        ObjectMetadata.set("resourceVersion", .string(String(resourceVersion)), in: &object)
        return resourceVersion
    }

    /// Records a change in the history and sends it to every watch that selects it.
    func emit(_ type: WatchEventType, _ object: JSONValue, previous: JSONValue?, storageKey: String) {
        let event = StoredEvent(resourceVersion: resourceVersion, storageKey: storageKey, type: type, object: object,
                                previous: previous)
        history.append(event)
        if history.count > historyLimit {
            let dropped = history.count - historyLimit
            compactedThrough = history[dropped - 1].resourceVersion
            history.removeFirst(dropped)
        }
        for watch in watchers.values {
            guard let (eventType, eventObject) = watch.filter.translate(event) else { continue }
            watch.continuation.yield(Self.eventLine(eventType, Self.present(eventObject, as: watch.filter.type)))
        }
    }

    static func eventLine(_ type: WatchEventType, _ object: JSONValue) -> JSONValue {
        ["type": .string(type.rawValue), "object": object]
    }

    /// The object as served at one group/version: its kind and apiVersion set.
    static func present(_ object: JSONValue, as type: ResourceType) -> JSONValue {
        var copy = object
        copy["kind"] = .string(type.kind)
        copy["apiVersion"] = .string(type.groupVersion)
        return copy
    }

    /// Ends every watch (the emulator is stopping) and the controller's pending work.
    func shutDown() {
        for watch in watchers.values { watch.continuation.finish() }
        watchers = [:]
        for task in rolloutTasks.values { task.cancel() }
        rolloutTasks = [:]
    }

    func removeWatch(_ id: Int) {
        watchers[id] = nil
    }

    func namespaceExists(_ namespace: String) -> Bool {
        objects[ObjectKey(storageKey: "/namespaces", namespace: "", name: namespace)] != nil
    }
}
