import SerinCore

/// Reads a revision's pods for the failures a Deployment's status does not show until its progress deadline, often
/// ten minutes later: a container in a crash loop, an image that cannot be pulled, a container that cannot even be
/// created. Any one of them fails the revision at once, so a crashing canary rolls back without waiting.
enum PodFailures {
    /// The kubelet's waiting reasons that mean it has given up retrying quickly. `ErrImagePull` alone is not here: it
    /// is the first failed pull, which a registry hiccup explains; `ImagePullBackOff` follows when it persists.
    static let reasons: Set<String> = [
        "CrashLoopBackOff", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
        "CreateContainerError",
    ]

    /// The first failure among `pods`, described for the rollout's reason; nil when none is failing. Pods being
    /// deleted are ignored: their failures are over.
    static func failure(in pods: [JSONValue]) -> String? {
        for pod in pods.sorted(by: { name(of: $0) < name(of: $1) }) where pod[path: "metadata", "deletionTimestamp"] == nil {
            let statuses = (pod[path: "status", "initContainerStatuses"]?.arrayValue ?? [])
                + (pod[path: "status", "containerStatuses"]?.arrayValue ?? [])
            for status in statuses {
                guard let waiting = status[path: "state", "waiting"], let reason = waiting["reason"]?.stringValue,
                      reasons.contains(reason) else { continue }
                let container = status["name"]?.stringValue ?? "?"
                let restarts = status["restartCount"]?.integerValue ?? 0
                var text = "pod \(name(of: pod)): container \(container) is in \(reason)"
                if restarts > 0 { text += " after \(restarts) restart\(restarts == 1 ? "" : "s")" }
                if let message = waiting["message"]?.stringValue, !message.isEmpty { text += ": \(message)" }
                return text
            }
        }
        return nil
    }

    private static func name(of pod: JSONValue) -> String {
        pod[path: "metadata", "name"]?.stringValue ?? ""
    }
}
