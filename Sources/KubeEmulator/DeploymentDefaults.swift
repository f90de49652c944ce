import SerinCore

/// The defaults kube-apiserver fills into a Deployment (k8s.io/kubernetes pkg/apis/apps/v1/defaults.go and
/// pkg/apis/core/v1/defaults.go), so that what a client reads back and what generation does match a real cluster.
enum DeploymentDefaults {
    static func apply(to deployment: inout JSONValue) {
        var spec = deployment["spec"]?.objectValue ?? [:]
        if spec["replicas"] == nil { spec["replicas"] = 1 }
        if spec["revisionHistoryLimit"] == nil { spec["revisionHistoryLimit"] = 10 }
        if spec["progressDeadlineSeconds"] == nil { spec["progressDeadlineSeconds"] = 600 }
        var strategy = spec["strategy"]?.objectValue ?? [:]
        if strategy["type"] == nil { strategy["type"] = "RollingUpdate" }
        if strategy["type"] == "RollingUpdate" {
            var rolling = strategy["rollingUpdate"]?.objectValue ?? [:]
            if rolling["maxUnavailable"] == nil { rolling["maxUnavailable"] = "25%" }
            if rolling["maxSurge"] == nil { rolling["maxSurge"] = "25%" }
            strategy["rollingUpdate"] = .object(rolling)
        }
        spec["strategy"] = .object(strategy)
        if var template = spec["template"]?.objectValue {
            if var podSpec = template["spec"]?.objectValue {
                applyPodDefaults(&podSpec)
                template["spec"] = .object(podSpec)
            }
            spec["template"] = .object(template)
        }
        deployment["spec"] = .object(spec)
    }

    static func applyPodDefaults(_ podSpec: inout [String: JSONValue]) {
        if podSpec["restartPolicy"] == nil { podSpec["restartPolicy"] = "Always" }
        if podSpec["terminationGracePeriodSeconds"] == nil { podSpec["terminationGracePeriodSeconds"] = 30 }
        if podSpec["dnsPolicy"] == nil { podSpec["dnsPolicy"] = "ClusterFirst" }
        if podSpec["securityContext"] == nil { podSpec["securityContext"] = [:] }
        if podSpec["schedulerName"] == nil { podSpec["schedulerName"] = "default-scheduler" }
        for key in ["containers", "initContainers"] {
            guard let containers = podSpec[key]?.arrayValue else { continue }
            podSpec[key] = .array(containers.map(containerDefaults))
        }
    }

    private static func containerDefaults(_ container: JSONValue) -> JSONValue {
        guard var fields = container.objectValue else { return container }
        if fields["terminationMessagePath"] == nil { fields["terminationMessagePath"] = "/dev/termination-log" }
        if fields["terminationMessagePolicy"] == nil { fields["terminationMessagePolicy"] = "File" }
        if fields["resources"] == nil { fields["resources"] = [:] }
        if fields["imagePullPolicy"] == nil {
            let image = fields["image"]?.stringValue ?? ""
            let lastComponent = image.split(separator: "/").last.map(String.init) ?? image
            let tag = lastComponent.contains("@") ? nil : lastComponent.split(separator: ":").dropFirst().last
            fields["imagePullPolicy"] = (tag == nil && !image.contains("@")) || tag == "latest" ? "Always" : "IfNotPresent"
        }
        if let ports = fields["ports"]?.arrayValue {
            fields["ports"] = .array(ports.map { port in
                guard var portFields = port.objectValue else { return port }
                if portFields["protocol"] == nil { portFields["protocol"] = "TCP" }
                return .object(portFields)
            })
        }
        return .object(fields)
    }
}
