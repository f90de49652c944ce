import Foundation
import Logging
import SerinCore
import SerinKube
import SerinOperator

/// Runs models on Kubernetes: each revision an apps/v1 Deployment and a Service, each model a stable Service, and
/// traffic split by a Gateway API HTTPRoute, an Istio VirtualService, or replica counts.
///
/// Level-based and idempotent, like the rollout machine's actions: every `perform` compares the objects Serin owns
/// with what the actions ask for, field by field over the fields Serin sets, and writes only the difference, so a
/// steady state makes no API writes. Reads come from informers (Deployments and Services labelled
/// `app.kubernetes.io/managed-by=serin`, and the route objects), which also feed `changes()`, so a revision becoming
/// ready, or an owned object edited by someone else, brings its model back to the operator at once.
///
/// `run()` must be running (next to the operator loop, in the same task group) for the other calls to return: they
/// wait for the informers' first lists.
public final class KubernetesRuntime: ModelRuntime {
    public struct Configuration: Sendable {
        /// The namespace Serin manages; nil for every namespace (which needs cluster-wide list and watch rights).
        public var namespace: String?
        /// Names this Serin in the Events it writes (`reportingInstance`), e.g. the pod name.
        public var instance: String
        /// The current time, for Event timestamps.
        public var now: @Sendable () -> Timestamp
        /// The traffic provider of a ModelDeployment whose spec names none; nil picks Gateway API when the API server
        /// serves HTTPRoutes, else replica ratio. A platform team sets it once (an Istio mesh, say) instead of in
        /// every document.
        public var defaultProvider: TrafficProvider?

        public init(namespace: String? = nil, instance: String = ProcessInfo.processInfo.hostName,
                    defaultProvider: TrafficProvider? = nil,
                    now: @escaping @Sendable () -> Timestamp = {
                        Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000))
                    }) {
            self.namespace = namespace
            self.instance = instance
            self.defaultProvider = defaultProvider
            self.now = now
        }
    }

    public let client: KubeClient
    public let configuration: Configuration
    let deployments: Informer
    let services: Informer
    /// The pods of Serin's Deployments (they carry its labels too): where crash loops show first.
    let pods: Informer
    let routeInformers: [Informer]
    let state = RuntimeState()
    let writer: ObjectWriter
    let router: TrafficRouter
    let events: EventRecorder
    let logger: Logger
    private let keys: AsyncStream<DeploymentKey>
    private let keySink: AsyncStream<DeploymentKey>.Continuation

    public init(client: KubeClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "serin.runtime.kubernetes")) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        // Grouped by model, so a reconcile reads its own objects rather than scanning every model's.
        let owned = Informer.Options(labelSelector: ServingLabels.managedSelector,
                                     index: { ServingLabels.key(of: $0)?.description })
        deployments = Informer(client: client, type: .deployments, namespace: configuration.namespace, options: owned, logger: logger)
        services = Informer(client: client, type: .services, namespace: configuration.namespace, options: owned, logger: logger)
        pods = Informer(client: client, type: .pods, namespace: configuration.namespace, options: owned, logger: logger)
        // Routes are the user's, so they carry no Serin label: all of them are watched, to notice weights edited by hand.
        routeInformers = [ResourceType.httpRoutes, .virtualServices].map {
            Informer(client: client, type: $0, namespace: configuration.namespace, logger: logger)
        }
        let events = EventRecorder(client: client, instance: configuration.instance, now: configuration.now, logger: logger)
        self.events = events
        writer = ObjectWriter(client: client, events: events, logger: logger)
        router = TrafficRouter(client: client, events: events, logger: logger)
        (keys, keySink) = AsyncStream<DeploymentKey>.makeStream(bufferingPolicy: .bufferingNewest(4_096))
    }

    // MARK: Running

    /// Finds out which route kinds the cluster serves, then lists and watches until the calling task is cancelled.
    /// `changes()` ends when this returns.
    public func run() async {
        defer { keySink.finish() }
        await withTaskGroup(of: Void.self) { group in
            var running = [deployments, services, pods]
            for informer in running { follow(informer, in: &group) }
            var served: Set<String> = []
            for informer in routeInformers {
                guard let isServed = await isServed(informer.type) else { group.cancelAll(); return }
                if isServed {
                    served.insert(informer.type.plural)
                    running.append(informer)
                    follow(informer, in: &group)
                }
            }
            // Polled rather than awaited, so that a cancellation before the first list ends `run` too.
            for informer in running {
                while !(await informer.cache.hasSynced) {
                    do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
                }
            }
            await state.markSynced(servedRoutes: served)
            logger.info("Kubernetes runtime ready", metadata: [
                "namespace": "\(configuration.namespace ?? "(all)")", "routes": "\(served.sorted())"])
        }
    }

    private func follow(_ informer: Informer, in group: inout TaskGroup<Void>) {
        group.addTask { await informer.run() }
        group.addTask {
            for await change in informer.changes {
                for key in await self.models(affectedBy: change, of: informer.type) { self.keySink.yield(key) }
            }
        }
    }

    /// Whether the API serves a route kind, asked once at start: a 404 means its CRD is not installed; a 403 that
    /// Serin may not read it, which for choosing a provider is the same. Nil when cancelled first.
    private func isServed(_ type: ResourceType) async -> Bool? {
        var delay = Duration.milliseconds(500)
        while !Task.isCancelled {
            do throws(KubeError) {
                _ = try await client.listPage(type, namespace: configuration.namespace, options: ListOptions(limit: 1), continueToken: nil)
                return true
            } catch .notFound {
                return false
            } catch .forbidden(let status) {
                logger.warning("Serin may not list \(type); treating it as not installed", metadata: ["error": "\(status.message)"])
                return false
            } catch {
                logger.info("cannot tell yet whether \(type) is served; retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return nil }
                delay = min(delay * 2, .seconds(30))
            }
        }
        return nil
    }

    /// The models an informer change concerns: an owned object's model, or for a route, the models of the
    /// Services it sends traffic to.
    private func models(affectedBy change: InformerChange, of type: ResourceType) async -> [DeploymentKey] {
        if let key = ServingLabels.key(of: change.object) { return [key] }
        let shapes = [RouteShape.httpRoute, .virtualService]
        guard let shape = shapes.first(where: { $0.type == type }),
              let namespace = change.object[path: "metadata", "namespace"]?.stringValue else { return [] }
        var found: [DeploymentKey] = []
        for rule in change.object[path: "spec", shape.rulesKey]?.arrayValue ?? [] {
            for backend in rule[shape.backendsKey]?.arrayValue ?? [] {
                guard let target = shape.service(backend, namespace),
                      let service = await services.cache.get(namespace: target.namespace, name: target.name),
                      let key = ServingLabels.key(of: service), !found.contains(key) else { continue }
                found.append(key)
            }
        }
        return found
    }

    // MARK: ModelRuntime

    public func changes() async -> AsyncStream<DeploymentKey> { keys }

    public func workloads(of key: DeploymentKey) async throws -> [String: WorkloadObservation] {
        try await state.waitForSync()
        var observations: [String: WorkloadObservation] = [:]
        let pods = await pods.cache.list(indexedBy: key.description)
        for deployment in await ownedDeployments(of: key) {
            guard let digest = deployment[path: "metadata", "labels", ServingLabels.revision]?.stringValue else { continue }
            var observation = RolloutReadiness.observation(of: deployment)
            let revisionPods = pods.filter { $0[path: "metadata", "labels", ServingLabels.revision]?.stringValue == digest }
            if !observation.hasFailed, let failure = PodFailures.failure(in: revisionPods) {
                observation = WorkloadObservation(isReady: false, hasFailed: true, message: failure)
            }
            observations[digest] = observation
        }
        return observations
    }

    public func deployedModels() async throws -> Set<DeploymentKey> {
        try await state.waitForSync()
        var keys: Set<DeploymentKey> = []
        for object in await deployments.cache.list() + services.cache.list() {
            if let key = ServingLabels.key(of: object) { keys.insert(key) }
        }
        return keys
    }

    /// The cached Deployments Serin owns for one model.
    func ownedDeployments(of key: DeploymentKey) async -> [JSONValue] {
        await deployments.cache.list(indexedBy: key.description)
    }

    /// The cached Services Serin owns for one model.
    func ownedServices(of key: DeploymentKey) async -> [JSONValue] {
        await services.cache.list(indexedBy: key.description)
    }

    func routeCache(_ type: ResourceType) -> InformerCache? {
        routeInformers.first { $0.type == type }?.cache
    }
}
