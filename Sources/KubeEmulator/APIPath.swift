/// A request path decoded into what it addresses.
enum APIPath: Sendable, Equatable {
    case version
    case health
    case coreVersions
    case groups
    case group(String)
    case groupVersion(group: String, version: String)
    /// `/api/v1/...` or `/apis/G/V/...`: a resource collection, object or subresource.
    case resource(group: String, version: String, segments: [String])
    case openAPIRoot
    case openAPIGroupVersion(group: String, version: String)
    case unknown

    init(_ path: String) {
        let segments = path.split(separator: "/").map(String.init)
        switch segments.first {
        case "version" where segments.count == 1: self = .version
        case "healthz", "readyz", "livez": self = .health
        case "openapi" where segments.count >= 2 && segments[1] == "v3":
            switch Array(segments.dropFirst(2)) {
            case []: self = .openAPIRoot
            case ["api", "v1"]: self = .openAPIGroupVersion(group: "", version: "v1")
            case let rest where rest.count == 3 && rest[0] == "apis":
                self = .openAPIGroupVersion(group: rest[1], version: rest[2])
            default: self = .unknown
            }
        case "api":
            if segments.count == 1 { self = .coreVersions; return }
            guard segments[1] == "v1" else { self = .unknown; return }
            self = segments.count == 2
                ? .groupVersion(group: "", version: "v1")
                : .resource(group: "", version: "v1", segments: Array(segments.dropFirst(2)))
        case "apis":
            switch segments.count {
            case 1: self = .groups
            case 2: self = .group(segments[1])
            case 3: self = .groupVersion(group: segments[1], version: segments[2])
            default: self = .resource(group: segments[1], version: segments[2], segments: Array(segments.dropFirst(3)))
            }
        default: self = .unknown
        }
    }
}

/// The resource part of a path, once the served types are known.
struct ResourceAddress: Sendable {
    var type: ResourceType
    var namespace: String?
    var name: String?
    var subresource: Subresource
}
