import SerinCore

/// What a DELETE asks for, from its query and its DeleteOptions body.
struct DeleteOptions: Sendable {
    /// Background (the default), Foreground or Orphan.
    var propagationPolicy: String = "Background"
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var dryRun = false
}

extension ObjectStore {
    /// DELETE: an object with finalizers is marked (deletionTimestamp) and answered; otherwise it is removed and
    /// answered with a Success Status, and its dependents are collected like the garbage collector would.
    func delete(_ type: ResourceType, namespace: String?, name: String, options: DeleteOptions)
        throws(APIStatusError) -> JSONValue
    {
        let key = ObjectKey(storageKey: type.storageKey, namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        guard let old = objects[key] else { throw .notFound(type, name: name) }
        if type.plural == "namespaces" && !type.isCustom && ["default", "kube-system", "kube-public"].contains(name) {
            throw APIStatusError(code: 403, reason: "Forbidden",
                                 message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted",
                                 details: APIStatusError.details(type, name: name))
        }
        if let uid = options.preconditionUID, uid != ObjectMetadata.uid(of: old) {
            throw APIStatusError(
                code: 409, reason: "Conflict",
                message: "Operation cannot be fulfilled on \(type.qualifiedResource) \"\(name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(ObjectMetadata.uid(of: old) ?? "")",
                details: APIStatusError.details(type, name: name))
        }
        if let version = options.preconditionResourceVersion, version != ObjectMetadata.resourceVersion(of: old) {
            throw APIStatusError(
                code: 409, reason: "Conflict",
                message: "Operation cannot be fulfilled on \(type.qualifiedResource) \"\(name)\": Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(ObjectMetadata.resourceVersion(of: old) ?? "")",
                details: APIStatusError.details(type, name: name))
        }
        let finalizers = ObjectMetadata.finalizers(of: old)
        if !finalizers.isEmpty, !conformanceFaults.contains(.ignoresFinalizers) {
            if ObjectMetadata.isDeleting(old) { return Self.present(old, as: type) }
            var marked = old
            ObjectMetadata.set("deletionTimestamp", .string(ObjectMetadata.timestamp()), in: &marked)
            ObjectMetadata.set("deletionGracePeriodSeconds", 0, in: &marked)
            if let generation = old[path: "metadata", "generation"]?.integerValue, generation > 0 {
                ObjectMetadata.set("generation", .integer(generation + 1), in: &marked)
            }
            if options.dryRun { return Self.present(marked, as: type) }
            _ = nextResourceVersion(for: &marked)
            put(key, marked)
            emit(.modified, marked, previous: old, storageKey: type.storageKey)
            return Self.present(marked, as: type)
        }
        if options.dryRun { return successStatus(type, object: old) }
        var deleted = old
        _ = nextResourceVersion(for: &deleted)
        put(key, nil)
        emit(.deleted, deleted, previous: old, storageKey: type.storageKey)
        collectDependents(of: deleted, policy: options.propagationPolicy)
        afterDelete(type, object: deleted)
        if type.plural == "namespaces" && !type.isCustom {
            // The real server answers with the namespace Terminating; its contents go at once here.
            var terminating = deleted
            ObjectMetadata.set("deletionTimestamp", .string(ObjectMetadata.timestamp()), in: &terminating)
            terminating["status"] = ["phase": "Terminating"]
            return Self.present(terminating, as: type)
        }
        if type.plural == "pods" && !type.isCustom { return Self.present(deleted, as: type) }
        return successStatus(type, object: old)
    }

    func successStatus(_ type: ResourceType, object: JSONValue) -> JSONValue {
        var details = APIStatusError.details(type, name: ObjectMetadata.name(of: object) ?? "")
        details["uid"] = object[path: "metadata", "uid"]
        return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details]
    }

    /// The garbage collector's part: dependents of a deleted owner (by ownerReferences uid) are deleted in the
    /// background, or lose their reference to it when the owner was orphaning them.
    func collectDependents(of owner: JSONValue, policy: String) {
        guard let uid = ObjectMetadata.uid(of: owner) else { return }
        let dependents = ownedObjects.sorted().compactMap { key -> (key: ObjectKey, value: JSONValue)? in
            guard let object = objects[key],
                  (object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).contains(where: { $0["uid"]?.stringValue == uid })
            else { return nil }
            return (key, object)
        }
        for (key, dependent) in dependents {
            guard let type = types.values.first(where: { $0.storageKey == key.storageKey }) else { continue }
            if policy == "Orphan" {
                var orphaned = dependent
                let references = (dependent[path: "metadata", "ownerReferences"]?.arrayValue ?? [])
                    .filter { $0["uid"]?.stringValue != uid }
                let remaining: JSONValue? = references.isEmpty ? JSONValue?.none : .array(references)
                ObjectMetadata.set("ownerReferences", remaining, in: &orphaned)
                _ = commit(type, key: key, old: dependent, proposed: orphaned, dryRun: false)
            } else {
                _ = try? delete(type, namespace: key.namespace, name: key.name, options: DeleteOptions())
            }
        }
    }

    /// Work that follows a removal: a namespace takes its objects with it, a CRD its resources and their objects.
    func afterDelete(_ type: ResourceType, object: JSONValue) {
        switch type.plural {
        case "namespaces" where !type.isCustom:
            guard let namespace = ObjectMetadata.name(of: object) else { return }
            for (key, contained) in objects.filter({ $0.key.namespace == namespace }).sorted(by: { $0.key < $1.key }) {
                removeQuietlyDeleting(key: key, object: contained)
            }
        case "customresourcedefinitions" where !type.isCustom:
            let served = CustomResourceDefinitions.resourceTypes(of: object)
            guard let first = served.first else { return }
            for (key, contained) in objects.filter({ $0.key.storageKey == first.storageKey }).sorted(by: { $0.key < $1.key }) {
                removeQuietlyDeleting(key: key, object: contained)
            }
            unregister(group: first.group, plural: first.plural)
        case "deployments" where !type.isCustom:
            let key = ObjectKey(storageKey: type.storageKey, namespace: object[path: "metadata", "namespace"]?.stringValue ?? "",
                                name: ObjectMetadata.name(of: object) ?? "")
            rolloutTasks[key]?.cancel()
            rolloutTasks[key] = nil
        default:
            break
        }
    }

    /// Removes an object whose container (namespace, CRD) went, finalizers or not.
    private func removeQuietlyDeleting(key: ObjectKey, object: JSONValue) {
        var deleted = object
        _ = nextResourceVersion(for: &deleted)
        put(key, nil)
        emit(.deleted, deleted, previous: object, storageKey: key.storageKey)
    }
}
