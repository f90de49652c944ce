import SerinCore

/// The Deployment /scale subresource, served as autoscaling/v1 Scale.
extension ObjectStore {
    func scale(_ type: ResourceType, namespace: String?, name: String) throws(APIStatusError) -> JSONValue {
        Self.scaleObject(of: try get(type, namespace: namespace, name: name))
    }

    /// PUT or PATCH of /scale: only spec.replicas moves, through the Deployment itself.
    func updateScale(_ type: ResourceType, namespace: String?, name: String, patchType: PatchType?, body: JSONValue,
                     dryRun: Bool) throws(APIStatusError) -> JSONValue
    {
        let current = try get(type, namespace: namespace, name: name)
        let currentScale = Self.scaleObject(of: current)
        let newScale: JSONValue
        if let patchType {
            // A Scale has no merge keys: a strategic merge patch is a merge patch here.
            let effective: PatchType = patchType == .strategicMergePatch ? .mergePatch : patchType
            newScale = try Self.apply(body, of: effective, to: currentScale, type: type)
        } else {
            newScale = body
        }
        guard let replicas = newScale[path: "spec", "replicas"]?.integerValue else {
            throw .invalid(type, name: name, causes: [.init(reason: "FieldValueRequired", field: "spec.replicas",
                                                            message: "Required value")])
        }
        if replicas < 0 {
            throw APIStatusError(
                code: 422, reason: "Invalid",
                message: "Scale.autoscaling \"\(name)\" is invalid: spec.replicas: Invalid value: \(replicas): must be greater than or equal to 0",
                details: ["name": .string(name), "group": "autoscaling", "kind": "Scale",
                          "causes": [["reason": "FieldValueInvalid", "field": "spec.replicas",
                                      "message": .string("Invalid value: \(replicas): must be greater than or equal to 0")]]])
        }
        var deployment = current
        if let version = ObjectMetadata.resourceVersion(of: newScale) {
            ObjectMetadata.set("resourceVersion", .string(version), in: &deployment)
        }
        var spec = deployment["spec"]?.objectValue ?? [:]
        spec["replicas"] = .integer(replicas)
        deployment["spec"] = .object(spec)
        let updated = try update(type, namespace: namespace, name: name, body: deployment, subresource: .main,
                                 dryRun: dryRun, isPatch: true)
        return Self.scaleObject(of: updated)
    }

    static func scaleObject(of deployment: JSONValue) -> JSONValue {
        var metadata: [String: JSONValue] = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            metadata[key] = deployment[path: "metadata", key]
        }
        let matchLabels = deployment[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        let selector = matchLabels.keys.sorted().map { "\($0)=\(matchLabels[$0]?.stringValue ?? "")" }.joined(separator: ",")
        var status: [String: JSONValue] = ["replicas": .integer(deployment[path: "status", "replicas"]?.integerValue ?? 0)]
        if !selector.isEmpty { status["selector"] = .string(selector) }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(metadata),
                "spec": ["replicas": .integer(deployment[path: "spec", "replicas"]?.integerValue ?? 0)],
                "status": .object(status)]
    }
}
