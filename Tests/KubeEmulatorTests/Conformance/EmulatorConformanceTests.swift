import Foundation
import KubeEmulator
import SerinCore
import Testing

/// Replays every request recorded from a real kube-apiserver against one emulator, in recorded order, starting
/// empty, and compares the answers by the rules in `ConformanceComparison`. Each test is named after its case.
@Suite("Conformance with kube-apiserver 1.36 recordings", .serialized)
struct EmulatorConformanceTests {
    static let cases: [TranscriptCase] = (try? TranscriptCase.all()) ?? []

    @Test func theRecordingsAreReadable() throws {
        #expect(try TranscriptCase.all().count == 56)
    }

    @Test("case", arguments: cases)
    func replay(_ recorded: TranscriptCase) async throws {
        let differences = try await ConformanceSession.shared.replay(recorded)
        #expect(differences.isEmpty, "\(recorded.name):\n\(differences.joined(separator: "\n"))")
    }
}

/// The emulator and what the replay has learned so far, shared by the cases in order.
actor ConformanceSession {
    static let shared = ConformanceSession()

    static let adminToken = "conformance-admin"
    static let nobodyToken = "conformance-nobody"

    /// Deliberate bugs the emulator starts with: only `ConformanceFaultTests` sets any.
    private let faults: Set<ConformanceFault>
    private var emulator: KubeEmulator?
    private var identities = RunIdentities()
    /// The last resourceVersion answered, recorded and actual: successive ones must stand in the same order.
    private var lastResourceVersion: (recorded: String, actual: String)?

    init(faults: Set<ConformanceFault> = []) { self.faults = faults }

    /// Replays every case in order, as the conformance suite does, and answers the cases that differ, each with its
    /// differences (a request that fails outright counts as a difference).
    func replayAll(_ cases: [TranscriptCase]) async -> [(name: String, differences: [String])] {
        var differing: [(name: String, differences: [String])] = []
        for recorded in cases {
            let differences: [String]
            do { differences = try await replay(recorded) } catch { differences = ["the request failed: \(error)"] }
            if !differences.isEmpty { differing.append((recorded.name, differences)) }
        }
        return differing
    }

    func stop() async throws {
        try await emulator?.stop()
        emulator = nil
    }

    private func baseURL() async throws -> String {
        if let emulator { return emulator.baseURL }
        var options = KubeEmulatorOptions()
        options.acceptedTokens = [Self.adminToken]
        options.unprivilegedUsers = [Self.nobodyToken: "nobody"]
        options.simulatesDeploymentController = false
        options.conformanceFaults = faults
        let started = try await KubeEmulator.start(options)
        emulator = started
        return started.baseURL
    }

    /// The recorder's "nobody" made two requests: one without credentials (401) and one authenticated without
    /// permissions (403). The case name says which.
    private func token(for recorded: TranscriptCase) -> String? {
        switch recorded.request.asUser {
        case "nobody": recorded.name == "unauthenticated" ? nil : Self.nobodyToken
        default: Self.adminToken
        }
    }

    func replay(_ recorded: TranscriptCase) async throws -> [String] {
        let base = try await baseURL()
        let path = identities.translate(path: recorded.request.path)
        let body = recorded.request.body.map { identities.translate(body: $0) }
        let divergence = KnownDivergence.transcriptCases[recorded.name]
        var comparison = ConformanceComparison(identities: identities, divergence: divergence)

        if let stream = recorded.response.stream {
            async let watched = HTTP.send("GET", base + path, token: token(for: recorded), contentType: nil, body: nil)
            try await Task.sleep(for: .milliseconds(500))
            for action in WatchSideActions.actions[recorded.name] ?? [] {
                _ = try await HTTP.send(action.method, base + action.path, token: Self.adminToken, contentType: action.contentType, body: action.body)
            }
            let answer = try await watched
            if answer.status != recorded.response.status { comparison.differ("status code", recorded: recorded.response.status, actual: answer.status) }
            let events = answer.text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            comparison.compareWatch(stream, events)
            return comparison.differences
        }

        let answer = try await HTTP.send(recorded.request.method, base + path, token: token(for: recorded),
                                          contentType: recorded.request.contentType, body: body)
        if answer.status != recorded.response.status {
            comparison.differ("status code", recorded: recorded.response.status, actual: answer.status)
        }
        if let expected = recorded.response.body {
            guard let actual = try? JSONValue(parsing: answer.text) else {
                comparison.differ("body", recorded: expected, actual: answer.text)
                return comparison.differences
            }
            var left = expected, right = actual
            if case .recordingDefect(let fields, _)? = divergence {
                for field in fields { left[field] = nil; right[field] = nil }
            }
            comparison.compareDocuments(left, right)
            identities.learn(recorded: expected, actual: actual)
            if let recordedVersion = expected[path: "metadata", "resourceVersion"]?.stringValue,
               let actualVersion = actual[path: "metadata", "resourceVersion"]?.stringValue {
                if let last = lastResourceVersion,
                   !RunIdentities.sameOrder((last.recorded, recordedVersion), (last.actual, actualVersion)) {
                    comparison.differ("resourceVersion order after \(last.recorded)", recorded: recordedVersion, actual: actualVersion)
                }
                lastResourceVersion = (recordedVersion, actualVersion)
            }
        } else if let text = recorded.response.text, text != answer.text {
            comparison.differ("body text", recorded: text, actual: answer.text)
        }
        return comparison.differences
    }
}

/// What the recorder did while a watch was open, from the cases' notes: the events it then saw come from these.
enum WatchSideActions {
    struct Action: Sendable {
        var method: String
        var path: String
        var contentType: String?
        var body: JSONValue?
    }

    static let actions: [String: [Action]] = [
        "watch-from-list-rv": [
            Action(method: "PATCH", path: "/apis/apps/v1/namespaces/transcripts/deployments/b",
                   contentType: "application/merge-patch+json", body: ["spec": ["replicas": 4]]),
            Action(method: "DELETE", path: "/apis/apps/v1/namespaces/transcripts/deployments/b", contentType: nil, body: nil),
        ],
    ]
}

/// A plain HTTP/1.1 client over a socket, independent of Serin's own client (so the suite does not test the emulator
/// with the code it keeps honest) and of Foundation's Process and URLSession (whose Linux implementations stall or
/// refuse some answers when many tests run at once). One request per connection (`Connection: close`); the answer
/// is read to the end, so a watch returns when the server closes it at `timeoutSeconds`.
enum HTTP {
    struct Answer: Sendable {
        var status: Int
        var text: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func send(_ method: String, _ url: String, token: String?, contentType: String?, body: JSONValue?) async throws -> Answer {
        guard let components = URLComponents(string: url), let port = components.port else { throw Failure(description: "bad URL \(url)") }
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        let payload = body.map { Array($0.serialized.utf8) } ?? []
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: application/json\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if body != nil { head += "Content-Length: \(payload.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + payload
        let raw: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try exchange(request, port: UInt16(port)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        return try parse(raw)
    }

    private static func exchange(_ request: [UInt8], port: UInt16) throws -> [UInt8] {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(String(cString: strerror(errno)))") }
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += written
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            answer += buffer[..<count]
        }
        return answer
    }

    /// The status code and the body, with a chunked body joined.
    private static func parse(_ raw: [UInt8]) throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.indices.first(where: { raw[$0...].starts(with: separator) }) else {
            throw Failure(description: "no HTTP header in the answer")
        }
        let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { throw Failure(description: "bad status line") }
        var body = Array(raw[(end + 4)...])
        if head.contains(where: { $0.lowercased() == "transfer-encoding: chunked" }) {
            var joined: [UInt8] = []
            var index = 0
            while index < body.count {
                guard let lineEnd = body[index...].firstIndex(of: 13),
                      let size = Int(String(decoding: body[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) else { break }
                if size == 0 { break }
                let start = lineEnd + 2
                joined += body[start..<min(start + size, body.count)]
                index = start + size + 2
            }
            body = joined
        }
        return Answer(status: status, text: String(decoding: body, as: UTF8.self))
    }
}
