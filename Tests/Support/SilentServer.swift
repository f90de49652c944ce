import Foundation
import Synchronization

/// A TCP listener on 127.0.0.1 that never says a word: what a Git host looks like when it accepts connections and
/// then stops answering (a hung server process, a load balancer whose backends are gone). With `accepting: false`
/// it takes one connection into its backlog and never accepts it, so that every later connection attempt waits
/// unanswered, as to a host whose packets are dropped.
public final class SilentServer: Sendable {
    public let port: UInt16
    private let listener: Int32
    private let held = Mutex<[Int32]>([])
    private let accepted = Atomic<Int>(0)

    public init(accepting: Bool = true) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // A backlog of 0 holds one connection that is not accepted; the next attempts get no answer at all.
        guard listener >= 0, bound == 0, listen(listener, accepting ? 16 : 0) == 0 else {
            throw HarnessError("cannot listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        if accepting {
            let thread = Thread { [self] in acceptUntilStopped() }
            thread.start()
        } else {
            let filler = try Self.connect(port: port)
            held.withLock { $0.append(filler) }
        }
    }

    /// How many connections the server has accepted (and left unanswered).
    public var acceptedConnections: Int { accepted.load(ordering: .acquiring) }

    private func acceptUntilStopped() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            held.withLock { $0.append(connection) }
            accepted.add(1, ordering: .releasing)
        }
    }

    private static func connect(port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("cannot fill the backlog: \(String(cString: strerror(errno)))") }
        return descriptor
    }

    /// Closes the listener and every connection it holds.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for connection in held.withLock({ $0 }) where connection >= 0 { close(connection) }
    }
}
