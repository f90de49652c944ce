import SerinCore

extension ObjectStore {
    func get(_ type: ResourceType, namespace: String?, name: String) throws(APIStatusError) -> JSONValue {
        let key = ObjectKey(storageKey: type.storageKey, namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        guard let object = objects[key] else { throw .notFound(type, name: name) }
        return Self.present(object, as: type)
    }

    /// PUT on the object or its /status. `requireResourceVersion` is false for PATCH, which applies to the current
    /// object and conflicts only when the patch itself carries a resourceVersion.
    func update(_ type: ResourceType, namespace: String?, name: String, body: JSONValue, subresource: Subresource,
                dryRun: Bool, isPatch: Bool = false) throws(APIStatusError) -> JSONValue
    {
        guard case .object = body else { throw .badRequest("the body of the request was not a JSON object") }
        let key = ObjectKey(storageKey: type.storageKey, namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        guard let old = objects[key] else { throw .notFound(type, name: name) }
        if let bodyName = ObjectMetadata.name(of: body), !bodyName.isEmpty, bodyName != name {
            throw .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if let requested = ObjectMetadata.resourceVersion(of: body) {
            if requested != ObjectMetadata.resourceVersion(of: old), !conformanceFaults.contains(.acceptsStaleUpdates) {
                throw .conflict(type, name: name)
            }
        } else if type.isCustom && !isPatch {
            throw .invalid(type, name: name, causes: [.init(field: "metadata.resourceVersion",
                                                            message: "Invalid value: 0: must be specified for an update")])
        }

        var proposed = merged(old: old, new: body, type: type, subresource: subresource)
        if type.plural == "deployments" && !type.isCustom { DeploymentDefaults.apply(to: &proposed) }
        let causes = ObjectValidation.causes(for: proposed, of: type)
        if !causes.isEmpty { throw .invalid(type, name: name, causes: causes) }
        if ObjectMetadata.isDeleting(old) {
            let added = Set(ObjectMetadata.finalizers(of: proposed)).subtracting(ObjectMetadata.finalizers(of: old))
            if !added.isEmpty {
                throw .invalid(type, name: name, causes: [.init(
                    reason: "FieldValueForbidden", field: "metadata.finalizers",
                    message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(JSONValue.array(added.sorted().map(JSONValue.string)).serialized)")])
            }
        }
        return commit(type, key: key, old: old, proposed: proposed, dryRun: dryRun)
    }

    /// Stores a proposed new state of an existing object: nothing when nothing changed, generation by the rules,
    /// and deletion when the last finalizer of an object being deleted goes.
    func commit(_ type: ResourceType, key: ObjectKey, old: JSONValue, proposed: JSONValue, dryRun: Bool) -> JSONValue {
        var new = proposed
        if Self.comparable(new) == Self.comparable(old) { return Self.present(old, as: type) }
        if GenerationRule.shouldBump(type, old: old, new: new), !keepsGenerationByFault(type, old: old, new: new) {
            let generation = old[path: "metadata", "generation"]?.integerValue ?? 0
            ObjectMetadata.set("generation", .integer(generation + 1), in: &new)
        }
        if dryRun { return Self.present(new, as: type) }
        if ObjectMetadata.isDeleting(new) && ObjectMetadata.finalizers(of: new).isEmpty {
            // The last finalizer went: the object is deleted now, and answered in its last state.
            _ = nextResourceVersion(for: &new)
            put(key, nil)
            emit(.deleted, new, previous: old, storageKey: type.storageKey)
            collectDependents(of: new, policy: "Background")
            afterDelete(type, object: new)
            var answer = new
            ObjectMetadata.set("resourceVersion", old[path: "metadata", "resourceVersion"], in: &answer)
            return Self.present(answer, as: type)
        }
        _ = nextResourceVersion(for: &new)
        put(key, new)
        emit(.modified, new, previous: old, storageKey: type.storageKey)
        afterWrite(type, key: key, object: new)
        return Self.present(new, as: type)
    }

    /// Whether `ConformanceFault.keepsGenerationOnDeploymentAnnotationChange` withholds this bump: a Deployment
    /// write that changed its annotations but not its spec.
    private func keepsGenerationByFault(_ type: ResourceType, old: JSONValue, new: JSONValue) -> Bool {
        conformanceFaults.contains(.keepsGenerationOnDeploymentAnnotationChange)
            && type.plural == "deployments" && !type.isCustom && old["spec"] == new["spec"]
    }

    /// The object without what changes on every write, to tell a no-op write.
    static func comparable(_ object: JSONValue) -> JSONValue {
        var copy = object
        var metadata = copy["metadata"]?.objectValue ?? [:]
        metadata["resourceVersion"] = nil
        metadata["managedFields"] = nil
        copy["metadata"] = .object(metadata)
        copy["kind"] = nil
        copy["apiVersion"] = nil
        return copy
    }

    /// The new state a write proposes: the server-owned metadata of the old object kept, and status or everything
    /// but status kept depending on the endpoint.
    func merged(old: JSONValue, new body: JSONValue, type: ResourceType, subresource: Subresource) -> JSONValue {
        var new = body
        var metadata = new["metadata"]?.objectValue ?? [:]
        let oldMetadata = old["metadata"]?.objectValue ?? [:]
        for kept in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                     "generation", "generateName", "resourceVersion"]
        {
            metadata[kept] = oldMetadata[kept]
        }
        metadata["managedFields"] = nil
        new["metadata"] = .object(metadata)
        new = Self.present(new, as: type)
        switch subresource {
        case .main:
            if type.hasStatusSubresource { new["status"] = old["status"] }
        case .status:
            // Only status changes through /status.
            var result = old
            result["status"] = new["status"]
            new = result
        case .scale:
            break
        }
        return new
    }
}
