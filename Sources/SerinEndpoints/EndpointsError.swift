/// Why the endpoints server could not start. Each description says what to change; none shows a secret.
public enum EndpointsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A webhook secret source is configured but cannot be read.
    case secretUnavailable(source: String, reason: String)
    /// A webhook secret is empty: anybody could sign with it.
    case emptySecret(origin: String)
    /// The branch to watch is empty, so no push could ever match it.
    case emptyBranch
    /// A body limit that is not positive.
    case invalidBodyLimit(Int)
    /// The listener could not bind.
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .secretUnavailable(let source, let reason):
            return "cannot read the webhook secret from \(source): \(reason); fix the source or leave the webhook "
                + "secret unset to turn webhooks off"
        case .emptySecret(let origin):
            return "\(origin) is empty; put a long random secret there (e.g. `openssl rand -hex 32`) and the same one "
                + "in the Git provider's webhook settings"
        case .emptyBranch:
            return "the branch the webhooks watch is empty; give the branch that holds the desired state, such as main"
        case .invalidBodyLimit(let limit):
            return "the webhook body limit is \(limit) bytes; give a positive number of bytes"
        case .cannotListen(let host, let port, let reason):
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return "the endpoints server cannot listen on \(address): \(reason); choose another --listen address or "
                + "stop the process that holds it"
        }
    }
}
