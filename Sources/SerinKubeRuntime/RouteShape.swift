import SerinCore
import SerinKube

/// Where weighted backends live in a route object, for the two routers Serin drives. Both hold a list of rules, each
/// with a list of weighted backends; only how a backend names its Service differs.
struct RouteShape: Sendable {
    var type: ResourceType
    /// `spec.<rulesKey>[i].<backendsKey>[j].weight`
    var rulesKey: String
    var backendsKey: String
    /// The weight a backend without one has. Gateway API's CRD defaults it to 1, so a real API server writes 1 into
    /// a backend sent without a weight: comparing with that in mind keeps such a backend from looking changed.
    var defaultWeight: Int64?
    /// The Service a backend sends to, as (namespace, name); nil when it is not a Service in this cluster.
    var service: @Sendable (_ backend: JSONValue, _ routeNamespace: String) -> (namespace: String, name: String)?
    /// A backend for a Service of the model, with a weight or none.
    var backend: @Sendable (_ service: String, _ namespace: String, _ routeNamespace: String, _ weight: Int?) -> JSONValue

    var kind: String { type.kind ?? type.plural }

    /// Gateway API: `spec.rules[].backendRefs[]` of `{group: "", kind: Service, name, namespace?, port, weight}`.
    static let httpRoute = RouteShape(
        type: .httpRoutes, rulesKey: "rules", backendsKey: "backendRefs", defaultWeight: 1,
        service: { backend, routeNamespace in
            let group = backend["group"]?.stringValue ?? ""
            let kind = backend["kind"]?.stringValue ?? "Service"
            guard group.isEmpty, kind == "Service", let name = backend["name"]?.stringValue else { return nil }
            return (backend["namespace"]?.stringValue ?? routeNamespace, name)
        },
        backend: { service, namespace, routeNamespace, weight in
            var backend: [String: JSONValue] = ["name": .string(service), "port": .integer(ServiceManifest.port)]
            if namespace != routeNamespace { backend["namespace"] = .string(namespace) }
            if let weight { backend["weight"] = .integer(Int64(weight)) }
            return .object(backend)
        })

    /// Istio: `spec.http[].route[]` of `{destination: {host, port: {number}}, weight}`. A host is a Service by its
    /// short name (in the VirtualService's namespace) or its `name.namespace[.svc[.cluster.local]]` form.
    static let virtualService = RouteShape(
        type: .virtualServices, rulesKey: "http", backendsKey: "route", defaultWeight: nil,
        service: { backend, routeNamespace in
            guard let host = backend[path: "destination", "host"]?.stringValue, !host.isEmpty else { return nil }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 1: return (routeNamespace, parts[0])
            case 2: return (parts[1], parts[0])
            case 3 where parts[2] == "svc": return (parts[1], parts[0])
            case 5 where parts[2...] == ["svc", "cluster", "local"]: return (parts[1], parts[0])
            default: return nil
            }
        },
        backend: { service, namespace, routeNamespace, weight in
            let host = namespace == routeNamespace ? service : "\(service).\(namespace).svc.cluster.local"
            var backend: [String: JSONValue] = ["destination": ["host": .string(host), "port": ["number": .integer(ServiceManifest.port)]]]
            if let weight { backend["weight"] = .integer(Int64(weight)) }
            return .object(backend)
        })
}
