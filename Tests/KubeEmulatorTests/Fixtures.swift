import SerinCore

/// Objects the tests create.
enum Fixtures {
    static func deployment(_ name: String, replicas: Int64 = 2, image: String = "example/model:1",
                           labels: [String: JSONValue] = [:]) -> JSONValue
    {
        var allLabels = labels
        allLabels["app"] = .string(name)
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "labels": .object(allLabels)],
            "spec": [
                "replicas": .integer(replicas),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "model", "image": .string(image)]]],
                ],
            ],
        ]
    }

    static func configMap(_ name: String, labels: [String: JSONValue] = [:], finalizers: [String] = [],
                          ownerUID: String? = nil) -> JSONValue
    {
        var metadata: [String: JSONValue] = ["name": .string(name), "labels": .object(labels)]
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map(JSONValue.string)) }
        if let ownerUID {
            metadata["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "owner",
                                            "uid": .string(ownerUID)]]
        }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata), "data": ["k": "v"]]
    }

    static let modelDeploymentCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "modeldeployments.serin.dev"],
        "spec": [
            "group": "serin.dev", "scope": "Namespaced",
            "names": ["plural": "modeldeployments", "singular": "modeldeployment", "kind": "ModelDeployment",
                      "shortNames": ["md"]],
            "versions": [[
                "name": "v1alpha1", "served": true, "storage": true, "subresources": ["status": [:]],
                "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
            ]],
        ],
    ]

    static func modelDeployment(_ name: String, version: String) -> JSONValue {
        ["apiVersion": "serin.dev/v1alpha1", "kind": "ModelDeployment", "metadata": ["name": .string(name)],
         "spec": ["model": ["version": .string(version)]]]
    }

    static let deployments = "/apis/apps/v1/namespaces/default/deployments"
    static let configMaps = "/api/v1/namespaces/default/configmaps"
    static let modelDeployments = "/apis/serin.dev/v1alpha1/namespaces/default/modeldeployments"
}
