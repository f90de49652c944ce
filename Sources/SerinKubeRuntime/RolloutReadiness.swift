import SerinCore

/// Reads a Deployment's status the way `kubectl rollout status` does (kubectl's rollout_status.go), so that Serin
/// calls a revision ready exactly when an operator watching it would.
enum RolloutReadiness {
    static func observation(of deployment: JSONValue) -> WorkloadObservation {
        let name = deployment[path: "metadata", "name"]?.stringValue ?? "?"
        let status = deployment["status"] ?? [:]
        func count(_ field: String) -> Int64 { status[field]?.integerValue ?? 0 }
        let generation = deployment[path: "metadata", "generation"]?.integerValue ?? 0
        let observedGeneration = count("observedGeneration")
        let replicas = deployment[path: "spec", "replicas"]?.integerValue ?? 1
        let updated = count("updatedReplicas")
        let available = count("availableReplicas")

        if generation > observedGeneration {
            return WorkloadObservation(isReady: false, message: "waiting for deployment \"\(name)\" spec update to be observed")
        }
        let progressing = status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Progressing" }
        if progressing?["reason"]?.stringValue == "ProgressDeadlineExceeded" {
            let detail = progressing?["message"]?.stringValue.map { ": \($0)" } ?? ""
            return WorkloadObservation(isReady: false, hasFailed: true,
                                       message: "deployment \"\(name)\" exceeded its progress deadline\(detail)")
        }
        if replicas == 0 {
            // Vacuously rolled out for kubectl, but serving nothing: a revision scaled to zero is not ready, so a
            // rollback waits for the stable version to actually run again.
            return WorkloadObservation(isReady: false, message: "deployment \"\(name)\" is scaled to 0 replicas")
        }
        if updated < replicas {
            return WorkloadObservation(isReady: false, message: "waiting for deployment \"\(name)\" rollout to finish: \(updated) out of \(replicas) new replicas have been updated")
        }
        if count("replicas") > updated {
            return WorkloadObservation(isReady: false, message: "waiting for deployment \"\(name)\" rollout to finish: \(count("replicas") - updated) old replicas are pending termination")
        }
        if available < updated {
            return WorkloadObservation(isReady: false, message: "waiting for deployment \"\(name)\" rollout to finish: \(available) of \(updated) updated replicas are available")
        }
        return WorkloadObservation(isReady: true, message: "deployment \"\(name)\" successfully rolled out: \(available) of \(replicas) replicas available")
    }
}
