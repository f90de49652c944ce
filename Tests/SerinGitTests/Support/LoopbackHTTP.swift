import Foundation
import TestSupport

/// A raw HTTP/1.0 GET over a loopback socket, to check status codes (401 and the like) without an HTTP library.
enum LoopbackHTTP {
    struct Response: Sendable {
        var status: Int
        /// The header block as received, status line included.
        var head: String
    }

    /// GETs `path` (e.g. "/git/models.git/info/refs?service=git-receive-pack") from 127.0.0.1:port,
    /// with basic authentication when credentials are given.
    static func get(port: UInt16, path: String, username: String? = nil, password: String? = nil) throws -> Response {
        let descriptor = try LoopbackPort.connectSocket(port)
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var request = "GET \(path) HTTP/1.0\r\nHost: \(LoopbackPort.host):\(port)\r\n"
        if let username, let password {
            request += "Authorization: Basic \(Data("\(username):\(password)".utf8).base64EncodedString())\r\n"
        }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessError("send to \(LoopbackPort.host):\(port) failed") }
            sent += count
        }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        let statusLine = head.components(separatedBy: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else {
            throw HarnessError("no HTTP status line from \(LoopbackPort.host):\(port)\(path): \(text.prefix(200))")
        }
        return Response(status: status, head: head)
    }
}
