import SerinCore

/// Why the router refused a configuration or could not start. Each description says what to change.
public enum RouterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `canaryWeight` outside 0...100.
    case weightOutOfRange(DeploymentKey, weight: Int)
    /// Two routes claim the same model name: requests could not tell them apart.
    case duplicateModelName(String, keys: [DeploymentKey])
    /// Two routes for one ModelDeployment.
    case duplicateDeployment(DeploymentKey)
    /// Stable and canary carry the same version, so metrics and `X-Serin-Version` could not tell them apart.
    case sameVersionTwice(DeploymentKey, version: String)
    /// A model name that cannot be one path segment.
    case invalidModelName(DeploymentKey, modelName: String)
    /// An upstream version that is empty or holds characters a header cannot carry.
    case invalidVersion(DeploymentKey, version: String)
    /// An upstream port outside 1...65535 or an empty host.
    case invalidUpstreamAddress(DeploymentKey, Upstream)
    /// The listener could not bind.
    case cannotListen(host: String, port: Int, reason: String)
    /// `RouterConfiguration.threads` below 1.
    case invalidThreadCount(Int)

    public var description: String {
        switch self {
        case .weightOutOfRange(let key, let weight):
            return "the route of \(key) has canaryWeight \(weight); give a percentage from 0 to 100"
        case .duplicateModelName(let name, let keys):
            return "model name \"\(name)\" is routed for \(keys.map(\.description).joined(separator: " and ")); "
                + "request paths name the model only, so give each deployment its own model name"
        case .duplicateDeployment(let key):
            return "\(key) has more than one route; pass one ModelRoute per deployment"
        case .sameVersionTwice(let key, let version):
            return "the route of \(key) has version \"\(version)\" as both stable and canary; "
                + "route one version alone as stable, or give the canary its own version"
        case .invalidModelName(let key, let modelName):
            return "the route of \(key) has model name \"\(modelName)\", which is not one URL path segment; "
                + "use a name without '/', '?', '#', ':', spaces or control characters"
        case .invalidVersion(let key, let version):
            return "the route of \(key) has version \"\(version)\"; a version must be non-empty printable text "
                + "without control characters, as it travels in the X-Serin-Version header"
        case .invalidUpstreamAddress(let key, let upstream):
            return "the route of \(key) sends version \"\(upstream.version)\" to \(upstream.host):\(upstream.port); "
                + "give a non-empty host without spaces or control characters and a port from 1 to 65535"
        case .cannotListen(let host, let port, let reason):
            return "the router cannot listen on \(UpstreamAddress(host: host, port: port)): \(reason); "
                + "choose another address or port, or stop the process that holds it"
        case .invalidThreadCount(let threads):
            return "the router was given \(threads) threads; give at least 1, or none to share one thread per core"
        }
    }
}
