/// A kind of API resource, addressed the way the API server's paths address it: by group, version and plural.
/// The core group is the empty string (`/api/v1/...`); every other group lives under `/apis/GROUP/VERSION`.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    /// The lowercase plural used in paths (`deployments`).
    public var plural: String
    public var namespaced: Bool
    /// The Kind, used only to fill in `kind`/`apiVersion` when an object lacks them.
    public var kind: String?

    public init(group: String, version: String, plural: String, namespaced: Bool, kind: String? = nil) {
        self.group = group
        self.version = version
        self.plural = plural
        self.namespaced = namespaced
        self.kind = kind
    }

    /// `apps/v1`, or `v1` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `deployments.apps`, as the API server names resources in messages.
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The path of the collection: in `namespace` when given and the type is namespaced, else across the cluster.
    func collectionPath(namespace: String?) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(PathEscaping.segment(namespace))" }
        return path + "/\(plural)"
    }

    func objectPath(namespace: String?, name: String, subresource: String? = nil) -> String {
        var path = collectionPath(namespace: namespace) + "/\(PathEscaping.segment(name))"
        if let subresource { path += "/\(subresource)" }
        return path
    }

    public static let namespaces = ResourceType(group: "", version: "v1", plural: "namespaces", namespaced: false, kind: "Namespace")
    public static let pods = ResourceType(group: "", version: "v1", plural: "pods", namespaced: true, kind: "Pod")
    public static let services = ResourceType(group: "", version: "v1", plural: "services", namespaced: true, kind: "Service")
    public static let configMaps = ResourceType(group: "", version: "v1", plural: "configmaps", namespaced: true, kind: "ConfigMap")
    public static let secrets = ResourceType(group: "", version: "v1", plural: "secrets", namespaced: true, kind: "Secret")
    public static let events = ResourceType(group: "", version: "v1", plural: "events", namespaced: true, kind: "Event")
    public static let deployments = ResourceType(group: "apps", version: "v1", plural: "deployments", namespaced: true, kind: "Deployment")
    public static let leases = ResourceType(group: "coordination.k8s.io", version: "v1", plural: "leases", namespaced: true, kind: "Lease")
    public static let httpRoutes = ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", namespaced: true, kind: "HTTPRoute")
    public static let virtualServices = ResourceType(group: "networking.istio.io", version: "v1", plural: "virtualservices", namespaced: true, kind: "VirtualService")
    public static let customResourceDefinitions = ResourceType(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", namespaced: false, kind: "CustomResourceDefinition")
}

/// Percent-encoding for path segments and query values (RFC 3986 unreserved characters pass through).
enum PathEscaping {
    static func segment(_ text: String) -> String { escape(text) }
    static func query(_ text: String) -> String { escape(text) }

    private static func escape(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}
