#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Why a listener could not bind, in words, for the router's and the endpoints' start-up errors: NIO's own
/// description names the system call (`bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`), which
/// says little to someone starting Serin.
public enum ListenFailure {
    public static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        switch error.errnoCode {
        case EADDRINUSE: return "another process already listens there"
        case EACCES: return "permission denied (ports below 1024 need privileges)"
        case EADDRNOTAVAIL: return "no network interface of this machine has that address"
        default: return String(cString: strerror(error.errnoCode))
        }
    }
}
