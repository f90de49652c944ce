import Logging
import SerinCore
import SerinKube
import SerinOperator

/// Sets a model's weights in the route object its traffic provider names (an HTTPRoute or a VirtualService) with a
/// JSON patch of those weights alone. The route belongs to whoever wrote it; Serin only moves its own backends'
/// weights, and writes nothing when they already hold the split.
struct TrafficRouter: Sendable {
    let client: KubeClient
    let events: EventRecorder
    let logger: Logger
    static let maxAttempts = 5

    func route(_ split: TrafficSplit, key: DeploymentKey, shape: RouteShape, name: String, namespace: String,
               cached: JSONValue?, isModelService: @escaping @Sendable (String) -> Bool) async throws {
        let what = "\(shape.kind) \(namespace)/\(name)"
        let weights = RouteWeights(shape: shape, modelNamespace: key.namespace, isModelService: isModelService)
        let wanted = RouteWeights.wanted(split, key: key)
        var route = cached
        for attempt in 1...Self.maxAttempts {
            if route == nil { route = try await read(shape, name: name, namespace: namespace) }
            guard let current = route else {
                throw KubernetesRuntimeError.routeNotFound(kind: shape.kind, namespace: namespace, name: name,
                                                           service: ObjectNames.stableService(key))
            }
            let operations: [JSONValue]
            do throws(RouteWeights.Problem) {
                operations = try weights.operations(route: current, wanted: wanted)
            } catch {
                throw KubernetesRuntimeError.routeHasNoRuleForModel(kind: shape.kind, namespace: namespace, name: name,
                                                                    service: ObjectNames.stableService(key))
            }
            if operations.isEmpty { return }
            do throws(KubeError) {
                let patched = try await client.patch(shape.type, name: name, namespace: namespace, .json(operations))
                let summary = wanted.map { "\($0.service) \($0.weight.map(String.init) ?? "unweighted")" }.joined(separator: ", ")
                // About the model's split, not one version: without the current context's (desired) version.
                ModelLogContext.$current.withValue(ModelLogContext.current?.withoutVersion) {
                    logger.info("traffic shifted", metadata: ["route": "\(what)", "model": "\(key)", "backends": "\(summary)"])
                }
                await events.record(patched, .trafficShifted, "Serin set the weights of \(key)'s backends: \(summary)")
                return
            } catch .invalid(let status) where attempt < Self.maxAttempts {
                // A `test` failed: the route changed since it was read. Read it again and recompute.
                logger.debug("route changed under the patch; reading it again", metadata: ["route": "\(what)", "status": "\(status.message)"])
                route = nil
            } catch .conflict where attempt < Self.maxAttempts {
                route = nil
            } catch .notFound {
                route = nil
            } catch {
                throw KubernetesRuntimeError.api(action: "patch the weights of \(what)", error)
            }
        }
        throw KubernetesRuntimeError.conflictPersisted(action: "patch the weights of \(what)", attempts: Self.maxAttempts)
    }

    private func read(_ shape: RouteShape, name: String, namespace: String) async throws -> JSONValue? {
        do throws(KubeError) {
            return try await client.get(shape.type, name: name, namespace: namespace)
        } catch .notFound {
            return nil
        } catch {
            throw KubernetesRuntimeError.api(action: "read \(shape.kind) \(namespace)/\(name)", error)
        }
    }
}
