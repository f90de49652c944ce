import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Free TCP ports on 127.0.0.1, and a probe whether something accepts connections on one.
/// Nothing here touches an address other than 127.0.0.1.
public enum LoopbackPort {
    public static let host = "127.0.0.1"

    /// Ports handed out in this process, never handed out twice, so that servers started by parallel tests differ.
    private static let handedOut = Mutex<Set<UInt16>>([])

    /// A port that the kernel reported free a moment ago (bind to port 0 on 127.0.0.1, read it back, close).
    /// Another process can still take it before the server binds: servers retry with a new port on "address in use".
    public static func reserve() throws -> UInt16 {
        for _ in 0..<100 {
            let port = try ephemeralPort()
            if handedOut.withLock({ $0.insert(port).inserted }) {
                return port
            }
        }
        throw HarnessError("no free loopback port found after 100 tries")
    }

    /// Whether a TCP connection to 127.0.0.1:port is accepted right now (the connection is closed at once).
    public static func isAccepting(_ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }

    /// A connected socket to 127.0.0.1:port, for raw protocol probes. The caller closes it.
    public static func connectSocket(_ port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket(): \(String(cString: strerror(errno)))") }
        var address = loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw HarnessError("connect to \(host):\(port): \(message)")
        }
        return descriptor
    }

    private static func ephemeralPort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw HarnessError("bind to \(host):0: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(descriptor, $0, &length)
            }
        }
        guard named == 0 else { throw HarnessError("getsockname(): \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
