import SerinCore

extension ObjectStore {
    /// POST: stores a new object with the server-set metadata, or fails with AlreadyExists, Invalid, or NotFound
    /// for a namespace that does not exist.
    func create(_ type: ResourceType, namespace: String?, body: JSONValue, dryRun: Bool)
        throws(APIStatusError) -> JSONValue
    {
        guard case .object = body else { throw .badRequest("the body of the request was not a JSON object") }
        var object = body
        var metadata = object["metadata"]?.objectValue ?? [:]
        if (metadata["name"]?.stringValue ?? "").isEmpty, let prefix = metadata["generateName"]?.stringValue,
           !prefix.isEmpty
        {
            metadata["name"] = .string(prefix + ObjectMetadata.randomSuffix())
        }
        guard let name = metadata["name"]?.stringValue, !name.isEmpty else {
            throw .invalid(type, name: "", causes: [.init(reason: "FieldValueRequired", field: "metadata.name",
                                                          message: "Required value: name or generateName is required")])
        }
        if type.namespaced {
            let bodyNamespace = metadata["namespace"]?.stringValue ?? ""
            guard let namespace else { throw .badRequest("a namespace is required to create \(type.qualifiedResource)") }
            if !bodyNamespace.isEmpty && bodyNamespace != namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
        } else {
            metadata["namespace"] = nil
        }
        for serverSet in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation", "managedFields", "selfLink"]
        {
            metadata[serverSet] = nil
        }
        metadata["uid"] = .string(ObjectMetadata.newUID())
        metadata["creationTimestamp"] = .string(ObjectMetadata.timestamp())
        if type.tracksGeneration { metadata["generation"] = 1 }
        object["metadata"] = .object(metadata)
        object = Self.present(object, as: type)
        prepareForCreate(type, &object)

        let causes = ObjectValidation.causes(for: object, of: type)
        if !causes.isEmpty { throw .invalid(type, name: name, causes: causes) }
        if type.plural == "customresourcedefinitions" { try validateDefinition(object, name: name, type: type) }

        let objectNamespace = type.namespaced ? (namespace ?? "") : ""
        if type.namespaced && !namespaceExists(objectNamespace) { throw .namespaceNotFound(objectNamespace) }
        let key = ObjectKey(storageKey: type.storageKey, namespace: objectNamespace, name: name)
        if objects[key] != nil { throw .alreadyExists(type, name: name) }
        if dryRun { return object }

        _ = nextResourceVersion(for: &object)
        put(key, object)
        emit(.added, object, previous: nil, storageKey: type.storageKey)
        afterWrite(type, key: key, object: object)
        if type.plural == "customresourcedefinitions" && !type.isCustom {
            // The names and establishing controllers, which run at once.
            _ = commit(type, key: key, old: object, proposed: CustomResourceDefinitions.established(object), dryRun: false)
        }
        return object
    }

    /// The registry strategies' PrepareForCreate: status a client cannot set, and defaults.
    func prepareForCreate(_ type: ResourceType, _ object: inout JSONValue) {
        switch type.plural {
        case "namespaces":
            object["spec"] = ["finalizers": ["kubernetes"]]
            object["status"] = ["phase": "Active"]
            var labels = object[path: "metadata", "labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = object[path: "metadata", "name"]
            ObjectMetadata.set("labels", .object(labels), in: &object)
        case "deployments":
            object["status"] = [:]
            DeploymentDefaults.apply(to: &object)
        case "events" where type.group.isEmpty:
            // core/v1 Event defaulting: the events.k8s.io fields a core client leaves out.
            if object["eventTime"] == nil { object["eventTime"] = .null }
            if object["reportingComponent"] == nil { object["reportingComponent"] = "" }
            if object["reportingInstance"] == nil { object["reportingInstance"] = "" }
        case "customresourcedefinitions":
            CustomResourceDefinitions.prepare(&object)
        default:
            if type.hasStatusSubresource { object["status"] = nil }
        }
    }

    /// Work that follows a stored write: CRDs (un)register their resources, Deployments start a rollout.
    func afterWrite(_ type: ResourceType, key: ObjectKey, object: JSONValue) {
        switch type.plural {
        case "customresourcedefinitions":
            for served in CustomResourceDefinitions.resourceTypes(of: object) { register(served) }
        case "deployments" where !type.isCustom:
            scheduleRolloutIfNeeded(key: key, type: type)
        default:
            break
        }
    }

    private func validateDefinition(_ object: JSONValue, name: String, type: ResourceType) throws(APIStatusError) {
        let causes = CustomResourceDefinitions.causes(object)
        if !causes.isEmpty { throw .invalid(type, name: name, causes: causes) }
    }
}
