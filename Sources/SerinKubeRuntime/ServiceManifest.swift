import SerinCore

/// The Services of a model: one per revision (what an HTTPRoute or a VirtualService weighs against each other),
/// and the stable one clients call, which selects every revision's pods. Without a router, that shared selector is
/// what makes replica counts split the traffic.
///
/// Both listen on port 80 and forward to the container port named `http`, so the port a route names never changes
/// between revisions even when `spec.runtime.port` does.
enum ServiceManifest {
    static let port: Int64 = 80

    static func revision(_ key: DeploymentKey, _ spec: ModelDeployment) -> JSONValue {
        let revision = spec.revision
        return service(name: ObjectNames.revision(key, revision), key: key,
                       labels: ServingLabels.revisionLabels(key, revision),
                       selector: ServingLabels.revisionSelector(key, revision),
                       annotations: [ServingLabels.specAnnotation: RecordedSpec.text(of: spec)])
    }

    static func stable(_ key: DeploymentKey) -> JSONValue {
        service(name: ObjectNames.stableService(key), key: key, labels: ServingLabels.modelLabels(key),
                selector: ServingLabels.modelSelector(key), annotations: [:])
    }

    private static func service(name: String, key: DeploymentKey, labels: [String: String], selector: [String: String],
                                annotations: [String: String]) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(key.namespace), "labels": .stringMap(labels)]
        if !annotations.isEmpty { metadata["annotations"] = .stringMap(annotations) }
        return [
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": .object(metadata),
            "spec": [
                "type": "ClusterIP",
                "selector": .stringMap(selector),
                "ports": [["name": .string(WorkloadManifest.portName), "port": .integer(port),
                           "targetPort": .string(WorkloadManifest.portName), "protocol": "TCP"]],
            ],
        ]
    }
}
