import SerinCore

/// The JSON patch that gives a route the backends a traffic split wants, touching only this model's backends: other
/// backends of the same rule, other rules, matches, filters and everything else in the route stay as the route's
/// owner wrote them.
///
/// When the model's backends are already the wanted Services, only their weights are replaced
/// (`/spec/rules/0/backendRefs/1/weight`); when the set of Services changes (a canary appears, an old revision goes),
/// the rule's backend list is replaced. Every replacement is preceded by a `test` of the value it was computed from,
/// so a concurrent edit fails the patch (422) instead of being overwritten.
struct RouteWeights {
    struct Wanted: Sendable, Hashable {
        var service: String
        var weight: Int?
    }

    enum Problem: Error { case noRuleForModel }

    let shape: RouteShape
    let modelNamespace: String
    /// Whether a Service name in the model's namespace is one of the model's.
    let isModelService: @Sendable (String) -> Bool

    /// The backends a split asks for, stable first. With no revision at all, the rule points back at the stable
    /// Service, as a route's owner first writes it, so the rule stays recognisable for the next deployment.
    static func wanted(_ split: TrafficSplit, key: DeploymentKey) -> [Wanted] {
        let weight = min(100, max(0, split.canaryWeight))
        switch (split.stable, split.canary) {
        case (let stable?, let canary?) where stable != canary:
            return [Wanted(service: ObjectNames.revision(key, stable), weight: 100 - weight),
                    Wanted(service: ObjectNames.revision(key, canary), weight: weight)]
        case (let stable?, _):
            return [Wanted(service: ObjectNames.revision(key, stable), weight: 100)]
        case (nil, let canary?):
            return [Wanted(service: ObjectNames.revision(key, canary), weight: 100)]
        case (nil, nil):
            return [Wanted(service: ObjectNames.stableService(key), weight: nil)]
        }
    }

    /// The patch operations; empty when the route already holds `wanted`.
    func operations(route: JSONValue, wanted: [Wanted]) throws(Problem) -> [JSONValue] {
        let routeNamespace = route[path: "metadata", "namespace"]?.stringValue ?? modelNamespace
        let rules = route[path: "spec", shape.rulesKey]?.arrayValue ?? []
        var operations: [JSONValue] = []
        var matched = false
        for (ruleIndex, rule) in rules.enumerated() {
            let backends = rule[shape.backendsKey]?.arrayValue ?? []
            let mine = backends.indices.filter { index in
                guard let target = shape.service(backends[index], routeNamespace) else { return false }
                return target.namespace == modelNamespace && isModelService(target.name)
            }
            guard !mine.isEmpty else { continue }
            matched = true
            let rulePath = "/spec/\(shape.rulesKey)/\(ruleIndex)/\(shape.backendsKey)"
            let current = mine.map { shape.service(backends[$0], routeNamespace)?.name ?? "" }
            if current == wanted.map(\.service) {
                for (position, index) in mine.enumerated() {
                    let path = "\(rulePath)/\(index)/weight"
                    let old = backends[index]["weight"]
                    let live = old?.integerValue ?? shape.defaultWeight
                    let new = wanted[position].weight.map(Int64.init) ?? shape.defaultWeight
                    guard live != new else { continue }
                    switch (old, new) {
                    case (let old?, let new?):
                        operations += [["op": "test", "path": .string(path), "value": old],
                                       ["op": "replace", "path": .string(path), "value": .integer(new)]]
                    case (nil, let new?):
                        operations += [["op": "add", "path": .string(path), "value": .integer(new)]]
                    case (let old?, nil):
                        operations += [["op": "test", "path": .string(path), "value": old], ["op": "remove", "path": .string(path)]]
                    case (nil, nil):
                        break
                    }
                }
            } else {
                var replaced = backends.enumerated().filter { !mine.contains($0.offset) }.map(\.element)
                let fresh = wanted.map { item -> JSONValue in
                    // A backend already there keeps what its owner set on it (filters, port); only the weight moves.
                    if let existing = mine.first(where: { shape.service(backends[$0], routeNamespace)?.name == item.service }) {
                        var backend = backends[existing]
                        backend["weight"] = item.weight.map { .integer(Int64($0)) }
                        return backend
                    }
                    return shape.backend(item.service, modelNamespace, routeNamespace, item.weight)
                }
                replaced.insert(contentsOf: fresh, at: min(mine[0], replaced.count))
                operations += [["op": "test", "path": .string(rulePath), "value": .array(backends)],
                               ["op": "replace", "path": .string(rulePath), "value": .array(replaced)]]
            }
        }
        guard matched else { throw .noRuleForModel }
        return operations
    }
}
