import Foundation
import InMemoryLogging
import Logging
import SerinEndpoints
import SerinHTTP
import Synchronization

/// Counts `syncNow` calls.
final class SyncCounter: Sendable {
    private let count = Atomic<Int>(0)
    func trigger() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A real endpoints server on a loopback port picked by the kernel, with every log line captured.
struct EndpointsFixture {
    static let githubSecret = "gh-secret-7f3a9c1e5b2d4f60aa"
    static let gitlabToken = "gl-token-1b2c3d4e5f607182bb"
    static let genericSecret = "generic-secret-a9b8c7d6e5cc"
    static let allSecrets = [githubSecret, gitlabToken, genericSecret]

    static var secretSources: WebhookSecretSources {
        WebhookSecretSources(github: .value(secret(githubSecret)), gitlab: .value(secret(gitlabToken)),
                             generic: .value(secret(genericSecret)))
    }

    static func secret(_ text: String) -> WebhookSecret {
        do { return try WebhookSecret(text) } catch { preconditionFailure("\(error)") }
    }

    let server: EndpointsServer
    let syncs: SyncCounter
    let readiness: ReadinessTracker
    let logs: InMemoryLogHandler

    var port: Int { server.port }
    var metrics: SerinMetrics { server.metrics }

    static func logger(_ logs: InMemoryLogHandler) -> Logger {
        var logger = Logger(label: "serin.endpoints.tests", factory: { _ in logs })
        logger.logLevel = .trace
        return logger
    }

    /// Starts a server, runs `body` and stops the server, whatever `body` did.
    static func with(secrets: WebhookSecretSources = secretSources, maximumBodySize: Int = 1 << 20,
                     idleTimeout: Duration = .seconds(60), logs: InMemoryLogHandler = InMemoryLogHandler(),
                     _ body: (EndpointsFixture) async throws -> Void) async throws
    {
        let syncs = SyncCounter()
        let readiness = ReadinessTracker()
        let configuration = EndpointsConfiguration(host: "127.0.0.1", port: 0, branch: "main", webhookSecrets: secrets,
                                                   maximumBodySize: maximumBodySize, idleTimeout: idleTimeout,
                                                   stopGracePeriod: .seconds(2))
        let server = try await EndpointsServer.start(configuration, syncNow: { syncs.trigger() },
                                                     readiness: { readiness.readiness }, environment: [:],
                                                     logger: logger(logs))
        let fixture = EndpointsFixture(server: server, syncs: syncs, readiness: readiness, logs: logs)
        do {
            try await body(fixture)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func send(_ method: String, _ path: String, headers: [String] = [], body: [UInt8]? = nil) async throws -> HTTPResponse {
        try await HTTPTransport.send(HTTPRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", headers: headers,
                                                 body: body, timeout: .seconds(20)))
    }

    func get(_ path: String) async throws -> HTTPResponse {
        try await send("GET", path)
    }

    /// A GitHub delivery: `signature` nil signs the body with the right secret, "" sends none.
    func github(event: String, body: String, signature: String? = nil) async throws -> HTTPResponse {
        let bytes = Array(body.utf8)
        var headers = ["X-GitHub-Event: \(event)", "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958",
                       "Content-Type: application/json", "User-Agent: GitHub-Hookshot/044aadd"]
        let value = signature ?? WebhookVerifier.signature(of: bytes, secret: Self.secret(Self.githubSecret))
        if !value.isEmpty { headers.append("X-Hub-Signature-256: \(value)") }
        return try await send("POST", "/hooks/github", headers: headers, body: bytes)
    }

    /// Every captured log line, message and metadata, as text.
    var logText: String {
        logs.entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n")
    }
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}
