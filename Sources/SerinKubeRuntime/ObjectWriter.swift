import Logging
import SerinCore
import SerinKube

/// Makes one owned object hold the fields Serin wants, the level-based way: read what is there (from an informer's
/// cache, or the API when the cache has not caught up), compare only Serin's fields, and write only when they
/// differ: a create, or an update carrying the resourceVersion it was computed from, so a concurrent writer makes it
/// fail with 409 Conflict rather than be overwritten, after which it is read and decided again.
///
/// Every write is recorded as an Event on the object. When the object differs although Serin's last write to it is
/// unchanged (its `serin.dev/applied` fingerprint matches), someone else edited it: the Event says `DriftReverted`
/// and lists each field put back.
struct ObjectWriter: Sendable {
    let client: KubeClient
    let events: EventRecorder
    let logger: Logger
    static let maxAttempts = 5

    /// What `ensure` wants, given the live object (nil when there is none): some wanted fields depend on it.
    typealias Wanted = @Sendable (_ live: JSONValue?) -> JSONValue

    /// Creates or updates the object; returns it as stored. `cached` is the informer's copy, if any.
    @discardableResult
    func ensure(_ type: ResourceType, name: String, namespace: String, cached: JSONValue?, ownership: Ownership,
                fields: OwnedFields, reason: String, wanted: Wanted) async throws -> JSONValue {
        let kind = type.kind ?? type.plural
        let what = "\(kind) \(namespace)/\(name)"
        var live = cached
        var lastConflict: KubeError?
        for _ in 0..<Self.maxAttempts {
            guard let current = live else {
                let object = Self.stamped(wanted(nil))
                do throws(KubeError) {
                    let created = try await client.create(type, object, namespace: namespace)
                    logger.info("created", metadata: ["object": "\(what)", "model": "\(ownership.key)"])
                    await events.record(created, .created, "Created \(kind) \(name) \(reason)")
                    return created
                } catch .alreadyExists {
                    // The cache had not seen it yet, or it is someone else's: look at it.
                    live = try await read(type, name: name, namespace: namespace)
                    continue
                } catch {
                    throw KubernetesRuntimeError.api(action: "create \(what)", error)
                }
            }
            if let problem = ownership.problem(with: current) {
                throw KubernetesRuntimeError.notOwned(kind: kind, namespace: namespace, name: name, owner: problem)
            }
            let object = Self.stamped(wanted(current))
            let differences = fields.differences(wanted: object, live: current)
            if differences.isEmpty { return current }
            let isDrift = Self.applied(of: current) == Self.applied(of: object)
            var update = fields.overlay(object, onto: current)
            update["metadata"]?["resourceVersion"] = current[path: "metadata", "resourceVersion"]
            do throws(KubeError) {
                let updated = try await client.update(type, update, namespace: namespace)
                let shown = differences.filter { !$0.path.hasSuffix(ServingLabels.appliedAnnotation) }.map(\.description)
                logger.info(isDrift ? "reverted a change made outside Serin" : "updated",
                            metadata: ["object": "\(what)", "model": "\(ownership.key)", "fields": "\(shown)"])
                if isDrift {
                    await events.record(updated, .driftReverted,
                                        "Reverted a change made outside Serin (Git is the source of truth): " + shown.joined(separator: "; "),
                                        kind: .warning)
                } else {
                    await events.record(updated, .updated, "Updated \(kind) \(name) \(reason): " + shown.joined(separator: "; "))
                }
                return updated
            } catch .conflict(let status) {
                lastConflict = .conflict(status)
                live = try await read(type, name: name, namespace: namespace)
            } catch .notFound {
                live = nil
            } catch {
                throw KubernetesRuntimeError.api(action: "update \(what)", error)
            }
        }
        if let lastConflict { logger.warning("gave up after conflicts", metadata: ["object": "\(what)", "error": "\(lastConflict)"]) }
        throw KubernetesRuntimeError.conflictPersisted(action: "update \(what)", attempts: Self.maxAttempts)
    }

    /// Deletes the object if the informer's cache holds it and it is Serin's; returns whether something was
    /// deleted. The cache is trusted here: it holds every object labelled as Serin's, so one missing from it is
    /// either gone or not Serin's, and a model at rest asks nothing of the API. Dependents (the ReplicaSets and pods
    /// of a Deployment) go in the background, so the call does not wait for pods to stop.
    @discardableResult
    func delete(_ type: ResourceType, name: String, namespace: String, cached: JSONValue?, ownership: Ownership,
                reason: String) async throws -> Bool {
        let kind = type.kind ?? type.plural
        let what = "\(kind) \(namespace)/\(name)"
        var live = cached
        for _ in 0..<Self.maxAttempts {
            guard let current = live else { return false }
            if let problem = ownership.problem(with: current) {
                throw KubernetesRuntimeError.notOwned(kind: kind, namespace: namespace, name: name, owner: problem)
            }
            let uid = current[path: "metadata", "uid"]?.stringValue
            do throws(KubeError) {
                try await client.delete(type, name: name, namespace: namespace,
                                        options: DeleteOptions(propagationPolicy: .background, preconditionUID: uid))
                logger.info("deleted", metadata: ["object": "\(what)", "model": "\(ownership.key)"])
                await events.record(current, .deleted, "Deleted \(kind) \(name) \(reason)")
                return true
            } catch .notFound {
                return false
            } catch .conflict {
                // Replaced by a new object of the same name since it was read: judge that one instead.
                live = try await read(type, name: name, namespace: namespace)
            } catch {
                throw KubernetesRuntimeError.api(action: "delete \(what)", error)
            }
        }
        throw KubernetesRuntimeError.conflictPersisted(action: "delete \(what)", attempts: Self.maxAttempts)
    }

    /// The live object, or nil when it does not exist.
    func read(_ type: ResourceType, name: String, namespace: String) async throws -> JSONValue? {
        do throws(KubeError) {
            return try await client.get(type, name: name, namespace: namespace)
        } catch .notFound {
            return nil
        } catch {
            throw KubernetesRuntimeError.api(action: "read \(type.kind ?? type.plural) \(namespace)/\(name)", error)
        }
    }

    /// The wanted object with the fingerprint of its own Serin-owned fields, so a later pass can tell its own
    /// change from someone else's.
    static func stamped(_ object: JSONValue) -> JSONValue {
        var fingerprinted = object
        fingerprinted["metadata"]?["annotations"]?[ServingLabels.appliedAnnotation] = nil
        fingerprinted["metadata"]?["annotations"]?[ServingLabels.specAnnotation] = nil
        var stamped = object
        var annotations = object[path: "metadata", "annotations"]?.objectValue ?? [:]
        annotations[ServingLabels.appliedAnnotation] = .string(Fingerprint.of(fingerprinted.serialized))
        stamped["metadata"]?["annotations"] = .object(annotations)
        return stamped
    }

    static func applied(of object: JSONValue) -> String? {
        object[path: "metadata", "annotations", ServingLabels.appliedAnnotation]?.stringValue
    }
}
