/// Which fields differ between two versions of a ModelDeployment, field by field within each spec section (and
/// within `resources`), in document order. `metadata.name` and `metadata.namespace` are the identity, never a change.
enum DeploymentDiff {
    static let metadata = FieldPath.root / "metadata"
    static let spec = FieldPath.root / "spec"
    static let model = spec / "model"
    static let version = model / "version"
    static let replicas = spec / "replicas"

    static func changedFields(from old: ModelDeployment, to new: ModelDeployment) -> [FieldPath] {
        var changed: [FieldPath] = []
        func compare<Value: Equatable>(_ path: FieldPath, _ value: (ModelDeployment) -> Value) {
            if value(old) != value(new) { changed.append(path) }
        }
        compare(metadata / "labels") { $0.metadata.labels }
        compare(metadata / "annotations") { $0.metadata.annotations }

        compare(model / "name") { $0.spec.model.name }
        compare(version) { $0.spec.model.version }
        compare(model / "uri") { $0.spec.model.uri }
        compare(model / "format") { $0.spec.model.format }
        compare(model / "digest") { $0.spec.model.digest?.hex }

        let runtime = spec / "runtime"
        compare(runtime / "image") { $0.spec.runtime.image }
        compare(runtime / "command") { $0.spec.runtime.command }
        compare(runtime / "args") { $0.spec.runtime.args }
        compare(runtime / "port") { $0.spec.runtime.port }
        compare(runtime / "env") { $0.spec.runtime.env }
        let resources = runtime / "resources"
        compare(resources / "cpu") { $0.spec.runtime.resources.cpu }
        compare(resources / "memory") { $0.spec.runtime.resources.memory }
        compare(resources / "gpu") { $0.spec.runtime.resources.gpu }
        compare(resources / "limits" / "cpu") { $0.spec.runtime.resources.limits.cpu }
        compare(resources / "limits" / "memory") { $0.spec.runtime.resources.limits.memory }
        compare(runtime / "readinessPath") { $0.spec.runtime.readinessPath }
        compare(runtime / "livenessPath") { $0.spec.runtime.livenessPath }
        compare(runtime / "metricsPath") { $0.spec.runtime.metricsPath }
        compare(runtime / "metricsPort") { $0.spec.runtime.metricsPort }

        compare(replicas) { $0.spec.replicas }

        let traffic = spec / "traffic"
        compare(traffic / "provider") { $0.spec.traffic.provider }
        compare(traffic / "gatewayAPI") { $0.spec.traffic.gatewayAPI }
        compare(traffic / "istio") { $0.spec.traffic.istio }

        let rollout = spec / "rollout"
        compare(rollout / "strategy") { $0.spec.rollout.strategy }
        compare(rollout / "steps") { $0.spec.rollout.steps }
        compare(rollout / "interval") { $0.spec.rollout.interval }
        compare(rollout / "maxFailedChecks") { $0.spec.rollout.maxFailedChecks }
        compare(rollout / "maxInconclusiveChecks") { $0.spec.rollout.maxInconclusiveChecks }
        compare(rollout / "minRequests") { $0.spec.rollout.minRequests }
        compare(rollout / "progressDeadline") { $0.spec.rollout.progressDeadline }
        compare(rollout / "metrics") { $0.spec.rollout.metrics }
        compare(rollout / "gates") { $0.spec.rollout.gates }
        compare(rollout / "approval") { $0.spec.rollout.approval }

        compare(spec / "prune") { $0.spec.prune }
        return changed
    }

    /// What changing `old` into `new` amounts to; nil when nothing changed.
    static func change(from old: ModelDeployment, to new: ModelDeployment) -> ModelChange? {
        let fields = changedFields(from: old, to: new)
        if fields.contains(version) {
            return .newVersion(from: old.spec.model.version, to: new.spec.model.version, rollout: new.spec.rollout,
                               alsoChanged: fields.filter { !$0.components.starts(with: model.components) })
        }
        if fields.isEmpty { return nil }
        if fields == [replicas] { return .scaled(from: old.spec.replicas, to: new.spec.replicas) }
        return .reconfigured(fields: fields)
    }
}
