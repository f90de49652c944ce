/// The strategic-merge metadata of the built-in types kubectl patches, transcribed from the `patchStrategy` and
/// `patchMergeKey` struct tags of k8s.io/api (core/v1, apps/v1, batch/v1, meta/v1 ObjectMeta). Only what changes
/// the merge is recorded: which lists merge (by which key, or as a set of primitives) and which fields lead to
/// such lists. Every other list is replaced whole, and every other object merges member by member.
enum PatchSchema: Sendable, Hashable {
    /// No metadata: objects merge, lists are replaced.
    case unknown
    /// A top-level object: `metadata` plus the given `spec` and `status` types.
    case object(spec: PatchSchema.Part, status: PatchSchema.Part)
    /// A named part of a type.
    case part(Part)

    /// The types below the top level that hold merging lists, or lead to them.
    enum Part: Sendable, Hashable {
        case none
        case objectMeta
        case podTemplateSpec
        case podSpec
        case container
        case podStatus
        /// The spec of a Deployment, ReplicaSet, StatefulSet, DaemonSet or Job: `template` is a PodTemplateSpec.
        case workloadSpec
        /// CronJob's spec: `jobTemplate.spec` is a workload spec.
        case cronJobSpec
        case jobTemplateSpec
        case serviceSpec
        /// A status whose `conditions` merge by `type`.
        case conditionsStatus
        /// ServiceAccount has no spec: its `secrets` sit at the top level, merged by `name`.
        case serviceAccountTop
    }

    /// How a list field merges.
    enum ListStrategy: Sendable, Hashable {
        /// The patch's list replaces the live one (the default).
        case replace
        /// Elements that are objects merge by `mergeKey`; primitives merge as a set.
        case merge(mergeKey: String?)
    }

    /// What one field of a type is.
    struct Field: Sendable, Hashable {
        var list: ListStrategy = .replace
        /// The schema of the field's value (of each element, for a list).
        var schema: PatchSchema = .unknown
    }

    /// The schema of a whole object of `kind`, as the API server looks it up for an
    /// `application/strategic-merge-patch+json` request. Kinds not listed get only the ObjectMeta rules.
    static func forKind(_ kind: String) -> PatchSchema {
        switch kind {
        case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job":
            return .object(spec: .workloadSpec, status: .conditionsStatus)
        case "CronJob": return .object(spec: .cronJobSpec, status: .none)
        case "Pod": return .object(spec: .podSpec, status: .podStatus)
        case "PodTemplate": return .part(.podTemplateSpec)
        case "Service": return .object(spec: .serviceSpec, status: .conditionsStatus)
        case "Namespace", "PersistentVolumeClaim": return .object(spec: .none, status: .conditionsStatus)
        case "ServiceAccount": return .part(.serviceAccountTop)
        default: return .object(spec: .none, status: .none)
        }
    }

    /// The metadata of the member `name` of an object of this schema.
    func field(_ name: String) -> Field {
        switch self {
        case .unknown: return Field()
        case .object(let spec, let status):
            switch name {
            case "metadata": return Field(schema: .part(.objectMeta))
            case "spec": return Field(schema: .part(spec))
            case "status": return Field(schema: .part(status))
            default: return Field()
            }
        case .part(let part): return part.field(name)
        }
    }
}

extension PatchSchema.Part {
    fileprivate func field(_ name: String) -> PatchSchema.Field {
        typealias Field = PatchSchema.Field
        func merged(by key: String?, _ element: PatchSchema = .unknown) -> Field { Field(list: .merge(mergeKey: key), schema: element) }
        switch (self, name) {
        case (.objectMeta, "finalizers"): return merged(by: nil)
        case (.objectMeta, "ownerReferences"): return merged(by: "uid")

        case (.podTemplateSpec, "metadata"), (.jobTemplateSpec, "metadata"): return Field(schema: .part(.objectMeta))
        case (.podTemplateSpec, "spec"): return Field(schema: .part(.podSpec))
        case (.jobTemplateSpec, "spec"): return Field(schema: .part(.workloadSpec))
        case (.workloadSpec, "template"): return Field(schema: .part(.podTemplateSpec))
        case (.cronJobSpec, "jobTemplate"): return Field(schema: .part(.jobTemplateSpec))

        case (.podSpec, "containers"), (.podSpec, "initContainers"), (.podSpec, "ephemeralContainers"):
            return merged(by: "name", .part(.container))
        case (.podSpec, "volumes"), (.podSpec, "imagePullSecrets"), (.podSpec, "schedulingGates"),
             (.podSpec, "resourceClaims"):
            return merged(by: "name")
        case (.podSpec, "hostAliases"): return merged(by: "ip")
        case (.podSpec, "topologySpreadConstraints"): return merged(by: "topologyKey")

        case (.container, "env"): return merged(by: "name")
        case (.container, "ports"): return merged(by: "containerPort")
        case (.container, "volumeMounts"): return merged(by: "mountPath")
        case (.container, "volumeDevices"): return merged(by: "devicePath")

        case (.podStatus, "conditions"), (.conditionsStatus, "conditions"): return merged(by: "type")
        case (.podStatus, "podIPs"), (.podStatus, "hostIPs"): return merged(by: "ip")
        case (.podStatus, "resourceClaimStatuses"): return merged(by: "name")

        case (.serviceSpec, "ports"): return merged(by: "port")

        case (.serviceAccountTop, "metadata"): return Field(schema: .part(.objectMeta))
        case (.serviceAccountTop, "secrets"): return merged(by: "name")

        default: return Field()
        }
    }
}
