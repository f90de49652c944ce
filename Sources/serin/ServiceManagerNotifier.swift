#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Tells systemd (or any service manager speaking its notification protocol) how `serin run` is doing, so that a
/// unit of `Type=notify` is started only once Serin serves, and `systemctl status` shows what it is doing.
///
/// The protocol is one datagram per message to the Unix socket named by `NOTIFY_SOCKET` (a path, or `@name` for
/// the abstract namespace), holding newline-separated `KEY=value` assignments: `READY=1`, `STOPPING=1`,
/// `STATUS=…`, `WATCHDOG=1`. Without `NOTIFY_SOCKET` there is no service manager listening and the notifier does nothing.
/// A message that cannot be sent at once (the socket's queue is full) is logged and dropped: a service manager's
/// bookkeeping must not stop Serin.
struct ServiceManagerNotifier: Sendable {
    /// The environment variable naming the socket. Model servers must not inherit it: with `NotifyAccess=all`
    /// a server could report the unit ready or stopping.
    static let socketVariable = "NOTIFY_SOCKET"

    private let address: String
    private let logger: Logger

    /// A notifier for the socket `environment` names, or nil when it names none.
    init?(environment: [String: String], logger: Logger) {
        guard let address = environment[Self.socketVariable], !address.isEmpty else { return nil }
        self.address = address
        self.logger = logger
    }

    /// Serin serves: its listeners are bound.
    func ready(status: String) {
        send("READY=1\nSTATUS=\(Self.singleLine(status))")
    }

    /// What `systemctl status` shows Serin doing.
    func status(_ status: String) {
        send("STATUS=\(Self.singleLine(status))")
    }

    /// Serin began to shut down: it finishes requests in flight and stops its model servers.
    func stopping(status: String) {
        send("STOPPING=1\nSTATUS=\(Self.singleLine(status))")
    }

    /// Serin is alive: its servers answer (`ServiceWatchdog` decides when to say so).
    func watchdog() {
        send("WATCHDOG=1")
    }

    /// A status is one line of the protocol: line breaks in it would start assignments of their own.
    private static func singleLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    private func send(_ message: String) {
        if let problem = Self.send(message, to: address) {
            logger.warning("could not notify the service manager", metadata: ["socket": "\(address)", "error": "\(problem)"])
        }
    }

    /// Sends `message` as one datagram to `address`; returns what went wrong, or nil.
    private static func send(_ message: String, to address: String) -> String? {
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var path = Array(address.utf8)
        // `@name`: the abstract namespace, whose address starts with a zero byte instead of the `@`.
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: socketAddress.sun_path)
        guard path.count < capacity, path.first != nil else {
            return "\(socketVariable) must name a socket path of 1 to \(capacity - 1) bytes"
        }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { buffer in
            buffer.copyBytes(from: path)
        }
        // A path address carries its terminating zero; an abstract one is exactly as long as its name.
        let length = MemoryLayout<sa_family_t>.size + path.count + (path[0] == 0 ? 0 : 1)

        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { buffer in
                    // Never waits: a service manager that does not read its socket would otherwise hold the thread
                    // sending, one of Swift's few, and with the watchdog beating, all of them in turn.
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), address,
                           socklen_t(length))
                }
            }
        }
        guard sent == bytes.count else { return sent < 0 ? String(cString: strerror(errno)) : "the message was cut short" }
        return nil
    }
}
