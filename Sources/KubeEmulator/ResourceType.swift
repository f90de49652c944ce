import SerinCore

/// One kind of resource the emulator serves at one group/version, with what its registry strategy does differently.
struct ResourceType: Sendable, Hashable {
    var group: String
    var version: String
    var plural: String
    var singular: String
    var kind: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    /// Served with a /status subresource: main-endpoint writes ignore status, /status writes change only status.
    var hasStatusSubresource: Bool = false
    /// Served with an autoscaling/v1 /scale subresource (Deployments).
    var hasScaleSubresource: Bool = false
    /// Defined by a CustomResourceDefinition (or served as one): no strategic merge patch, updates need a
    /// resourceVersion, any change outside metadata bumps generation.
    var isCustom: Bool = false
    /// The registry sets metadata.generation (Deployments, CRDs, custom resources); others never carry one.
    var tracksGeneration: Bool = false
    /// Field selectors this type supports beyond metadata.name and metadata.namespace.
    var extraSelectableFields: [String] = []
    /// Whether DELETE on the collection is served; kube-apiserver does not offer it for namespaces.
    var deletesCollections: Bool = true

    var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `deployments.apps`, or `pods` in the core group: how Status messages name the resource.
    var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// `Deployment.apps`, or `ConfigMap`: how Invalid messages of built-in types name the kind.
    var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }
    var listKind: String { kind + "List" }
    /// The storage identity shared by every version of one resource.
    var storageKey: String { "\(group)/\(plural)" }

    var selectableFields: [String] {
        (namespaced ? ["metadata.name", "metadata.namespace"] : ["metadata.name"]) + extraSelectableFields
    }

    /// The fields a field selector sees on an object.
    func selectorFields(of object: JSONValue) -> [String: String] {
        var fields: [String: String] = [
            "metadata.name": object[path: "metadata", "name"]?.stringValue ?? ""
        ]
        if namespaced { fields["metadata.namespace"] = object[path: "metadata", "namespace"]?.stringValue ?? "" }
        for name in extraSelectableFields {
            var current: JSONValue? = object
            for key in name.split(separator: ".") { current = current?[String(key)] }
            switch current {
            case .string(let value): fields[name] = value
            case .integer(let value): fields[name] = String(value)
            case .bool(let value): fields[name] = value ? "true" : "false"
            default: fields[name] = ""
            }
        }
        return fields
    }

    /// This type's entries in an APIResourceList (itself and its subresources).
    var discoveryEntries: [JSONValue] {
        var entry: [String: JSONValue] = [
            "name": .string(plural), "singularName": .string(singular), "namespaced": .bool(namespaced),
            "kind": .string(kind),
            "verbs": .array((deletesCollections
                ? ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
                : ["create", "delete", "get", "list", "patch", "update", "watch"]).map(JSONValue.string)),
        ]
        if !shortNames.isEmpty { entry["shortNames"] = .array(shortNames.map(JSONValue.string)) }
        if !categories.isEmpty { entry["categories"] = .array(categories.map(JSONValue.string)) }
        var entries: [JSONValue] = [.object(entry)]
        if hasScaleSubresource {
            entries.append([
                "name": .string(plural + "/scale"), "singularName": "", "namespaced": .bool(namespaced),
                "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
            ])
        }
        if hasStatusSubresource {
            entries.append([
                "name": .string(plural + "/status"), "singularName": "", "namespaced": .bool(namespaced),
                "kind": .string(kind), "verbs": ["get", "patch", "update"],
            ])
        }
        return entries
    }
}
