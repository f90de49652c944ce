import SerinCore

/// The deployment controller simulation: after a Deployment is created or its spec changes, its status first shows
/// the new replicas progressing, then after `deploymentReadyAfter` complete (or never, or past its progress
/// deadline), with the conditions and reasons of the real controller, so `kubectl rollout status` behaves as
/// against a cluster.
extension ObjectStore {
    func setDeploymentBehaviour(namespace: String, name: String, _ behaviour: DeploymentBehaviour) {
        let key = ObjectKey(storageKey: "apps/deployments", namespace: namespace, name: name)
        deploymentBehaviours[key] = behaviour
    }

    func scheduleRolloutIfNeeded(key: ObjectKey, type: ResourceType) {
        guard simulatesDeploymentController, let deployment = objects[key], !ObjectMetadata.isDeleting(deployment)
        else { return }
        let generation = deployment[path: "metadata", "generation"]?.integerValue ?? 0
        let observed = deployment[path: "status", "observedGeneration"]?.integerValue ?? 0
        guard generation > observed else { return }
        rolloutTasks[key]?.cancel()
        let delay = deploymentReadyAfter
        rolloutTasks[key] = Task { [weak self] in
            await self?.advanceRollout(key: key, generation: generation, complete: false)
            do { try await Task.sleep(for: delay) } catch { return }
            await self?.advanceRollout(key: key, generation: generation, complete: true)
        }
    }

    /// Writes the rollout's status for one generation: progressing, or its outcome when `complete`.
    func advanceRollout(key: ObjectKey, generation: Int64, complete: Bool) {
        guard let type = types["apps/v1/deployments"], let old = objects[key],
              old[path: "metadata", "generation"]?.integerValue == generation
        else { return }
        let behaviour = deploymentBehaviours[key] ?? .becomesReady
        let replicas = old[path: "spec", "replicas"]?.integerValue ?? 1
        let replicaSet = "\(key.name)-\(Self.templateHash(old[path: "spec", "template"] ?? .null))"
        let oldConditions = old[path: "status", "conditions"]?.arrayValue ?? []
        var status: [String: JSONValue] = ["observedGeneration": .integer(generation)]
        func set(_ field: String, _ value: Int64) { if value > 0 { status[field] = .integer(value) } }
        set("replicas", replicas)
        set("updatedReplicas", replicas)
        var progressing: (String, String, String)
        var available: (String, String, String)
        let ready = replicas == 0 || (complete && behaviour == .becomesReady)
        if ready {
            set("readyReplicas", replicas)
            set("availableReplicas", replicas)
            progressing = ("True", "NewReplicaSetAvailable", "ReplicaSet \"\(replicaSet)\" has successfully progressed.")
            available = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        } else {
            set("unavailableReplicas", replicas)
            available = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
            if complete && behaviour == .exceedsProgressDeadline {
                progressing = ("False", "ProgressDeadlineExceeded", "ReplicaSet \"\(replicaSet)\" has timed out progressing.")
            } else {
                progressing = ("True", "ReplicaSetUpdated", "ReplicaSet \"\(replicaSet)\" is progressing.")
            }
        }
        let now = ObjectMetadata.timestamp()
        status["conditions"] = .array([
            Self.condition("Available", available, now: now, previous: oldConditions),
            Self.condition("Progressing", progressing, now: now, previous: oldConditions),
        ])
        var new = old
        new["status"] = .object(status)
        _ = commit(type, key: key, old: old, proposed: new, dryRun: false)
        if complete { rolloutTasks[key] = nil }
    }

    /// A condition that keeps its lastTransitionTime while its status stays the same.
    static func condition(_ type: String, _ value: (status: String, reason: String, message: String), now: String,
                          previous: [JSONValue]) -> JSONValue
    {
        let before = previous.first { $0["type"]?.stringValue == type }
        let transition = before?["status"]?.stringValue == value.status ? (before?["lastTransitionTime"] ?? .string(now)) : .string(now)
        return ["type": .string(type), "status": .string(value.status), "lastUpdateTime": .string(now),
                "lastTransitionTime": transition, "reason": .string(value.reason), "message": .string(value.message)]
    }

    /// A stable 10-character name suffix from the pod template, like the ReplicaSet's pod-template-hash.
    static func templateHash(_ template: JSONValue) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in template.serialized.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var suffix = ""
        for _ in 0..<10 {
            suffix.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return suffix
    }
}
