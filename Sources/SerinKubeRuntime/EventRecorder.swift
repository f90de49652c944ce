import Logging
import SerinCore
import SerinKube

/// Writes core/v1 Events about the objects Serin changes, so that `kubectl describe` and `kubectl get events` show
/// what Serin did and why, next to what the cluster's controllers did: every create, update and delete, and each
/// change made by someone else that Serin reverted.
///
/// An Event is a record, not part of the change: one that cannot be written is logged and the change stands.
struct EventRecorder: Sendable {
    enum Kind: String {
        case normal = "Normal"
        case warning = "Warning"
    }

    /// Serin's reasons, CamelCase as Kubernetes reasons are.
    enum Reason: String {
        case created = "Created"
        case updated = "Updated"
        case driftReverted = "DriftReverted"
        case deleted = "Deleted"
        case trafficShifted = "TrafficShifted"
        /// A rollout transition, named after its phase (`RolloutProgressing`, `RolloutFailed`…).
        case rollout = "Rollout"
    }

    let client: KubeClient
    /// `reportingInstance`: which Serin replica wrote it.
    let instance: String
    let now: @Sendable () -> Timestamp
    let logger: Logger

    static let component = "serin"

    func record(_ object: JSONValue, _ reason: Reason, _ message: String, kind: Kind = .normal) async {
        await record(object, reason: reason.rawValue, message, kind: kind)
    }

    func record(_ object: JSONValue, reason: String, _ message: String, kind: Kind = .normal) async {
        guard let name = object[path: "metadata", "name"]?.stringValue,
              let namespace = object[path: "metadata", "namespace"]?.stringValue else { return }
        // Seconds: core/v1 timestamps carry no fraction.
        let time = JSONValue.string(Timestamp(secondsSinceEpoch: now().secondsSinceEpoch).description)
        var involved: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        for field in ["apiVersion", "kind"] { involved[field] = object[field] }
        for field in ["uid", "resourceVersion"] { involved[field] = object[path: "metadata", field] }
        let event: JSONValue = [
            "metadata": ["generateName": .string(name + "."), "namespace": .string(namespace)],
            "involvedObject": .object(involved),
            "reason": .string(reason),
            "message": .string(String(message.prefix(1024))),
            "type": .string(kind.rawValue),
            "source": ["component": .string(Self.component)],
            "reportingComponent": .string(Self.component),
            "reportingInstance": .string(instance),
            "firstTimestamp": time,
            "lastTimestamp": time,
            "count": 1,
        ]
        do throws(KubeError) {
            _ = try await client.create(.events, event, namespace: namespace)
        } catch {
            logger.warning("could not record an Event", metadata: [
                "object": "\(namespace)/\(name)", "reason": "\(reason)", "error": "\(error)"])
        }
    }
}
