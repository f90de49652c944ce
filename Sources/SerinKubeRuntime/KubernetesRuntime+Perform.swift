import SerinCore
import SerinKube

extension KubernetesRuntime {
    /// Performs one decision's actions as one desired state (see `ActionPlan`), in an order that never drops
    /// traffic: workloads that grow or appear first, then the traffic split, then workloads that shrink, then
    /// deletions. A rollback thus routes everything back to stable before it stops the canary, and a promotion moves
    /// the traffic before it deletes the old version.
    public func perform(_ actions: [RolloutAction], key: DeploymentKey, desired: ModelDeployment?) async throws {
        guard !actions.isEmpty else { return }
        if let managed = configuration.namespace, managed != key.namespace {
            // Its objects would be invisible to the informers, so every pass would act blind.
            throw KubernetesRuntimeError.outsideNamespace(key, managed: managed)
        }
        try await state.waitForSync()
        var plan = ActionPlan(actions)
        let deployments = await ownedDeployments(of: key)
        let services = await ownedServices(of: key)
        // A model removed from Git has only its recorded specs to say how its traffic was routed; once its objects
        // are gone there is nothing left to route.
        let traffic = desired?.spec.traffic
            ?? (deployments + services).lazy.compactMap { RecordedSpec.anyDeployment(in: $0)?.spec.traffic }.first
        var provider: TrafficProvider?
        if let traffic { provider = try await self.provider(for: traffic, key: key) }
        if provider == .replicas { plan.sizeByTraffic() }

        func currentReplicas(_ revision: ServingRevision) -> Int64? {
            let name = ObjectNames.revision(key, revision)
            return deployments.first { $0[path: "metadata", "name"]?.stringValue == name }?[path: "spec", "replicas"]?.integerValue
        }
        let shrinking = plan.workloads.filter { workload in currentReplicas(workload.revision).map { Int64(workload.replicas) < $0 } ?? false }
        var kept: Set<String> = []
        for workload in plan.workloads where !shrinking.contains(workload) {
            if try await ensure(workload, key: key, desired: desired) {
                kept.insert(ObjectNames.revision(key, workload.revision))
            }
        }
        if !kept.isEmpty {
            let name = ObjectNames.stableService(key)
            try await writer.ensure(.services, name: name, namespace: key.namespace,
                                    cached: await self.services.cache.get(namespace: key.namespace, name: name),
                                    ownership: Ownership(key: key, revisionDigest: nil),
                                    fields: OwnedFields(exactPaths: ["spec.selector"]), reason: "for the model \(key)") { _ in
                ServiceManifest.stable(key)
            }
        }
        if let split = plan.split, let traffic, let provider, provider != .replicas {
            try await route(split, key: key, traffic: traffic, provider: provider, plan: plan, services: services)
        }
        for workload in shrinking {
            if try await ensure(workload, key: key, desired: desired) { kept.insert(ObjectNames.revision(key, workload.revision)) }
        }
        var removed: Set<String> = []
        for revision in plan.removals {
            let name = ObjectNames.revision(key, revision)
            let ownership = Ownership(key: key, revisionDigest: revision.digest)
            let reason = "because revision \(revision) of \(key) is no longer served"
            try await writer.delete(.deployments, name: name, namespace: key.namespace,
                                    cached: await self.deployments.cache.get(namespace: key.namespace, name: name),
                                    ownership: ownership, reason: reason)
            try await writer.delete(.services, name: name, namespace: key.namespace,
                                    cached: await self.services.cache.get(namespace: key.namespace, name: name),
                                    ownership: ownership, reason: reason)
            removed.insert(name)
        }
        if plan.routesNowhere {
            let remaining = Set(deployments.compactMap { $0[path: "metadata", "name"]?.stringValue }).subtracting(removed).union(kept)
            if remaining.isEmpty {
                let name = ObjectNames.stableService(key)
                try await writer.delete(.services, name: name, namespace: key.namespace,
                                        cached: await self.services.cache.get(namespace: key.namespace, name: name),
                                        ownership: Ownership(key: key, revisionDigest: nil),
                                        reason: "because the model \(key) has no revisions left")
            }
        }
    }

    /// The provider in force: the spec's, else the configured default, else Gateway API when HTTPRoutes are served,
    /// else replica ratio.
    func provider(for traffic: TrafficSpec, key: DeploymentKey) async throws -> TrafficProvider {
        if let provider = traffic.provider ?? configuration.defaultProvider {
            if provider == .local { throw KubernetesRuntimeError.unsupportedProvider(key, provider) }
            return provider
        }
        return await state.servedRoutes.contains(ResourceType.httpRoutes.plural) ? .gatewayAPI : .replicas
    }

    /// Creates or updates one revision's Deployment and Service. Returns false when there was nothing to do (a
    /// `scale` to 0 of a workload that does not exist).
    private func ensure(_ workload: ActionPlan.Workload, key: DeploymentKey, desired: ModelDeployment?) async throws -> Bool {
        let revision = workload.revision
        let name = ObjectNames.revision(key, revision)
        let cachedDeployment = await deployments.cache.get(namespace: key.namespace, name: name)
        let cachedService = await services.cache.get(namespace: key.namespace, name: name)
        let spec: ModelDeployment
        if let desired, desired.revision == revision {
            spec = desired
        } else if let recorded = RecordedSpec.deployment(in: cachedDeployment, revision: revision)
                    ?? RecordedSpec.deployment(in: cachedService, revision: revision) {
            spec = recorded
        } else {
            // The cache may not have caught up with a revision created moments ago: ask the API before giving up.
            let liveDeployment = try await writer.read(.deployments, name: name, namespace: key.namespace)
            if let recorded = RecordedSpec.deployment(in: liveDeployment, revision: revision) {
                spec = recorded
            } else if let recorded = RecordedSpec.deployment(in: try await writer.read(.services, name: name, namespace: key.namespace),
                                                             revision: revision) {
                spec = recorded
            } else if !workload.createsMissing && cachedDeployment == nil && liveDeployment == nil {
                return false
            } else {
                throw KubernetesRuntimeError.noRecordedSpec(key, revision)
            }
        }
        guard spec.spec.runtime.image != nil else { throw KubernetesRuntimeError.missingImage(key) }
        let ownership = Ownership(key: key, revisionDigest: revision.digest)
        let reason = "for revision \(revision) of \(key)"
        let replicas = workload.replicas
        try await writer.ensure(.deployments, name: name, namespace: key.namespace, cached: cachedDeployment, ownership: ownership,
                                fields: OwnedFields(exactPaths: ["spec.selector.matchLabels"]), reason: reason) { live in
            Self.keepingRecordedSpec(WorkloadManifest.deployment(key, spec, replicas: replicas), of: live, revision: revision)
        }
        try await writer.ensure(.services, name: name, namespace: key.namespace, cached: cachedService, ownership: ownership,
                                fields: OwnedFields(exactPaths: ["spec.selector"]), reason: reason) { live in
            Self.keepingRecordedSpec(ServiceManifest.revision(key, spec), of: live, revision: revision)
        }
        return true
    }

    /// A revision's recorded spec is written once: a later document of the same revision (a new label, other
    /// rollout steps) describes the same workload, and rewriting the annotation would bump the Deployment's
    /// generation for nothing.
    static func keepingRecordedSpec(_ wanted: JSONValue, of live: JSONValue?, revision: ServingRevision) -> JSONValue {
        // The usual case at rest: the same text. Decoding it to compare revisions would cost more than the rest of
        // a resync of the model.
        guard let recorded = live?[path: "metadata", "annotations", ServingLabels.specAnnotation],
              recorded != wanted[path: "metadata", "annotations", ServingLabels.specAnnotation],
              RecordedSpec.deployment(in: live, revision: revision) != nil else { return wanted }
        var object = wanted
        object["metadata"]?["annotations"]?[ServingLabels.specAnnotation] = recorded
        return object
    }

    /// Applies a split through the route object of the provider.
    private func route(_ split: TrafficSplit, key: DeploymentKey, traffic: TrafficSpec, provider: TrafficProvider,
                       plan: ActionPlan, services: [JSONValue]) async throws {
        let shape: RouteShape
        let name: String
        let namespace: String
        switch provider {
        case .gatewayAPI:
            shape = .httpRoute
            name = traffic.gatewayAPI?.route ?? key.name
            namespace = traffic.gatewayAPI?.namespace ?? key.namespace
        case .istio:
            shape = .virtualService
            name = traffic.istio?.virtualService ?? key.name
            namespace = key.namespace
        case .replicas, .local:
            return
        }
        guard await state.servedRoutes.contains(shape.type.plural) else {
            throw KubernetesRuntimeError.routerNotInstalled(key, kind: shape.kind, resource: shape.type.description, provider: provider)
        }
        let cached = await routeCache(shape.type)?.get(namespace: namespace, name: name)
        let isModelService = await modelServiceMatcher(key, known: services, plan: plan)
        try await router.route(split, key: key, shape: shape, name: name, namespace: namespace, cached: cached,
                               isModelService: isModelService)
    }

    /// Tells the model's Services among a route's backends: the stable Service, the revisions Serin knows of, and
    /// names of the revision form (`<name>-...-<8 hex digits>`) that no other model owns, which covers a revision
    /// whose Service is already gone.
    private func modelServiceMatcher(_ key: DeploymentKey, known: [JSONValue], plan: ActionPlan) async -> @Sendable (String) -> Bool {
        var mine: Set<String> = [ObjectNames.stableService(key)]
        for service in known { if let name = service[path: "metadata", "name"]?.stringValue { mine.insert(name) } }
        for workload in plan.workloads { mine.insert(ObjectNames.revision(key, workload.revision)) }
        if let split = plan.split {
            for revision in [split.stable, split.canary].compactMap({ $0 }) { mine.insert(ObjectNames.revision(key, revision)) }
        }
        // Only models named `<name>-…` in this namespace can own Services with this model's prefix: read their
        // groups of the cache rather than every Service of every model.
        var others: Set<String> = []
        let prefix = key.name + "-"
        for group in await self.services.cache.indexValues where group.hasPrefix("\(key.namespace)/\(prefix)") {
            for service in await self.services.cache.list(indexedBy: group) {
                if let name = service[path: "metadata", "name"]?.stringValue { others.insert(name) }
            }
        }
        return { [mine, others] name in
            if mine.contains(name) { return true }
            guard !others.contains(name), name.hasPrefix(prefix) else { return false }
            let suffix = name.suffix(9)
            return suffix.first == "-" && suffix.dropFirst().allSatisfy { $0.isHexDigit && !$0.isUppercase }
        }
    }
}
