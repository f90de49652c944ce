/// Why the server could not start listening, in one line that says what to do about it.
public enum ModelServerError: Error, Sendable, Hashable, CustomStringConvertible {
    case portInUse(host: String, port: Int)
    case addressNotAvailable(host: String)
    case permissionDenied(host: String, port: Int)
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .portInUse(let host, let port):
            return "\(host):\(port) is already in use: stop the process listening there or pass another --port"
        case .addressNotAvailable(let host):
            return "cannot listen on \(host): it is not an address of this machine; pass --host 127.0.0.1 or 0.0.0.0"
        case .permissionDenied(let host, let port):
            return "no permission to listen on \(host):\(port): ports below 1024 need privileges; pass a --port of 1024 or more"
        case .cannotListen(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason)"
        }
    }
}
