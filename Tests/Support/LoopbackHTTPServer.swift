import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests: the metrics exporter Prometheus scrapes and the webhook
/// receivers. One thread accepts, one thread per connection answers, and every answer closes its connection.
///
/// It binds port 0 itself, so there is no window in which another process could take the port. `stop()` ends
/// every held connection, waits for the threads to finish and closes the listening socket; tests call it in a
/// `defer` (the threads keep the server alive until then).
public final class LoopbackHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Names lowercased.
        public var headers: [String: String]
        public var body: [UInt8]
    }

    public enum Reply: Sendable {
        case respond(status: Int, contentType: String = "text/plain", body: [UInt8])
        /// Never answer: hold the connection open until the server stops (a receiver that hangs).
        case hold
    }

    public let port: UInt16
    private let listener: Int32
    private let state = Mutex(State())
    private let finished = DispatchGroup()

    private struct State {
        var stopped = false
        var closed = false
        public var requests: [Request] = []
        var connections: Set<Int32> = []
    }

    public init(handler: @escaping @Sendable (Request) -> Reply) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0, listen(descriptor, 64) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw HarnessError("cannot listen on 127.0.0.1: \(message)")
        }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        finished.enter()
        let thread = Thread { [self] in
            acceptLoop(handler)
            finished.leave()
        }
        thread.name = "test.http.accept"
        thread.start()
    }

    /// Every request received so far, in order.
    public var requests: [Request] { state.withLock { $0.requests } }

    public var url: String { "http://127.0.0.1:\(port)" }

    public func stop() {
        let connections = state.withLock { state -> Set<Int32> in
            guard !state.stopped else { return [] }
            state.stopped = true
            return state.connections
        }
        for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
        _ = finished.wait(timeout: .now() + 10)
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            close(listener)
        }
    }

    deinit {
        stop()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop(_ handler: @escaping @Sendable (Request) -> Reply) {
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections.insert(connection)
                return true
            }
            guard admitted else {
                close(connection)
                break
            }
            finished.enter()
            let thread = Thread { [self] in
                serve(connection, handler)
                state.withLock { _ = $0.connections.remove(connection) }
                close(connection)
                finished.leave()
            }
            thread.name = "test.http.connection"
            thread.start()
        }
    }

    private func serve(_ connection: Int32, _ handler: (Request) -> Reply) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = readRequest(connection) else { return }
        state.withLock { $0.requests.append(request) }
        switch handler(request) {
        case .respond(let status, let contentType, let body):
            let head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            write(connection, Array(head.utf8) + body)
        case .hold:
            while !isStopped { usleep(20_000) }
        }
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            received += buffer[0..<count]
            headEnd = received.firstRange(of: separator)?.lowerBound
        }
        guard let headEnd else { return nil }
        let head = String(decoding: received[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(received[(headEnd + separator.count)...])
        while body.count < length {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            body += buffer[0..<count]
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Array(body.prefix(length)))
    }

    private func write(_ connection: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 500: "Internal Server Error"
        default: "Status"
        }
    }
}
