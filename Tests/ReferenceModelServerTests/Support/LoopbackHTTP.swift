import Foundation
import SerinCore

#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client over a plain loopback socket: one request per connection (`Connection: close`), the
/// answer read to the end. Enough to talk to the server as any client would, without an HTTP library.
struct LoopbackHTTP {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String

        /// The body as JSON; throws when it is not.
        func json() throws -> JSONValue { try JSONValue(parsing: body) }
    }

    let port: Int

    func get(_ path: String) throws -> Response {
        try request("GET", path)
    }

    func post(_ path: String, _ body: String) throws -> Response {
        try request("POST", path, body: body)
    }

    func request(_ method: String, _ path: String, body: String? = nil) throws -> Response {
        let connection = try Connection(port: port)
        defer { connection.close() }
        try connection.send(method, path, body: body)
        return try connection.readResponse()
    }

    /// One connection, for tests that act between sending a request and reading its answer.
    final class Connection {
        private let descriptor: Int32
        private let port: Int

        init(port: Int) throws {
            self.port = port
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw TestFailure("socket(): \(String(cString: strerror(errno)))") }
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var socketAddress = Loopback.address(port: port)
            let connected = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                let message = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw TestFailure("connect to 127.0.0.1:\(port): \(message)")
            }
        }

        func send(_ method: String, _ path: String, body: String? = nil) throws {
            var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            if let body {
                text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            } else {
                text += "\r\n"
            }
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                guard count > 0 else { throw TestFailure("send to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))") }
                sent += count
            }
        }

        /// Reads until the server closes the connection; throws when no HTTP answer came.
        func readResponse() throws -> Response {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                received += buffer[0..<count]
            }
            let text = String(decoding: received, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n") else {
                throw TestFailure("no HTTP answer from 127.0.0.1:\(port) (received \(received.count) bytes)")
            }
            let headLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
            let statusFields = headLines.first?.split(separator: " ") ?? []
            guard statusFields.count >= 2, let status = Int(statusFields[1]) else {
                throw TestFailure("no HTTP status line from 127.0.0.1:\(port): \(text.prefix(200))")
            }
            var headers: [String: String] = [:]
            for line in headLines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
        }

        func close() {
            Glibc.close(descriptor)
        }
    }
}

/// Loopback sockets for tests: nothing here touches an address other than 127.0.0.1.
enum Loopback {
    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A socket listening on a free 127.0.0.1 port, to make that port busy; the caller closes it.
    static func occupyPort() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket(): \(String(cString: strerror(errno)))") }
        var socketAddress = address(port: 0)
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else {
            Glibc.close(descriptor)
            throw TestFailure("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, Int(UInt16(bigEndian: socketAddress.sin_port)))
    }
}
