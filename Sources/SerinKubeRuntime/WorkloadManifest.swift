import SerinCore

/// The apps/v1 Deployment of one revision, holding only the fields Serin sets: everything else is the API server's
/// defaulting, which the comparison with the live object ignores.
///
/// Built from the serving fields alone (`spec.model`, `spec.runtime`) plus the replica count, so two documents of the
/// same revision give the same Deployment, and editing a label or the rollout steps in Git restarts no pod.
enum WorkloadManifest {
    /// The container's port name: probes and Services refer to it by name, so revisions on different ports sit
    /// behind one stable Service.
    static let portName = "http"
    static let containerName = "model"
    static let gpuResource = "nvidia.com/gpu"

    static func deployment(_ key: DeploymentKey, _ spec: ModelDeployment, replicas: Int) -> JSONValue {
        let revision = spec.revision
        let labels = ServingLabels.revisionLabels(key, revision)
        let selector = ServingLabels.revisionSelector(key, revision)
        return [
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": [
                "name": .string(ObjectNames.revision(key, revision)),
                "namespace": .string(key.namespace),
                "labels": .stringMap(labels),
                "annotations": [ServingLabels.specAnnotation: .string(RecordedSpec.text(of: spec))],
            ],
            "spec": [
                "replicas": .integer(Int64(max(0, replicas))),
                "selector": ["matchLabels": .stringMap(selector)],
                "template": [
                    "metadata": ["labels": .stringMap(labels)],
                    "spec": ["containers": [container(spec.spec)]],
                ],
            ],
        ]
    }

    static func container(_ spec: ModelDeploymentSpec) -> JSONValue {
        let runtime = spec.runtime
        let render = { (text: String) in RuntimeTemplate.render(text, model: spec.model, port: runtime.port) }
        var container: [String: JSONValue] = [
            "name": .string(containerName),
            "image": .string(runtime.image ?? ""),
            "ports": [["name": .string(portName), "containerPort": .integer(Int64(runtime.port)), "protocol": "TCP"]],
            "readinessProbe": probe(runtime.readinessPath, period: 5, failureThreshold: 3),
            "livenessProbe": probe(runtime.livenessPath, period: 10, failureThreshold: 3),
            // Loading a large model can take minutes; until the liveness path first answers, the kubelet must not
            // kill the container for failing liveness. Ten minutes, the default progress deadline.
            "startupProbe": probe(runtime.livenessPath, period: 10, failureThreshold: 60),
        ]
        if let command = runtime.command { container["command"] = .array(command.map { .string(render($0)) }) }
        if !runtime.args.isEmpty { container["args"] = .array(runtime.args.map { .string(render($0)) }) }
        if !runtime.env.isEmpty {
            container["env"] = .array(runtime.env.map { ["name": .string($0.name), "value": .string(render($0.value))] })
        }
        if let resources = resources(runtime.resources) { container["resources"] = resources }
        return .object(container)
    }

    /// Requests and limits. A GPU count is an extended resource: Kubernetes wants it in limits, and equal in requests.
    static func resources(_ resources: ResourceRequirements) -> JSONValue? {
        var requests: [String: JSONValue] = [:]
        var limits: [String: JSONValue] = [:]
        if let cpu = resources.cpu { requests["cpu"] = .string(cpu.text) }
        if let memory = resources.memory { requests["memory"] = .string(memory.text) }
        if let cpu = resources.limits.cpu { limits["cpu"] = .string(cpu.text) }
        if let memory = resources.limits.memory { limits["memory"] = .string(memory.text) }
        if let gpu = resources.gpu, gpu > 0 {
            requests[gpuResource] = .string(String(gpu))
            limits[gpuResource] = .string(String(gpu))
        }
        var result: [String: JSONValue] = [:]
        if !requests.isEmpty { result["requests"] = .object(requests) }
        if !limits.isEmpty { result["limits"] = .object(limits) }
        return result.isEmpty ? nil : .object(result)
    }

    static func probe(_ path: String, period: Int64, failureThreshold: Int64) -> JSONValue {
        ["httpGet": ["path": .string(path), "port": .string(portName)], "periodSeconds": .integer(period),
         "failureThreshold": .integer(failureThreshold)]
    }
}

extension JSONValue {
    static func stringMap(_ map: [String: String]) -> JSONValue {
        .object(map.mapValues { .string($0) })
    }
}
