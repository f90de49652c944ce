import Foundation
import KubeEmulator
import SerinCore
import Testing

/// Replays, in order against a fresh emulator, the requests kubectl 1.32 sent to a real kube-apiserver for apply,
/// get, scale, patch, rollout status and delete, and checks that the emulator's answers would let kubectl proceed:
/// the same status codes, and bodies of the same shape (same kind; for Status objects the same reason).
@Suite("kubectl's recorded requests", .serialized)
struct KubectlReplayTests {
    static let exchanges: [KubectlExchange] = (try? KubectlExchange.all()) ?? []

    /// Requests the emulator answers with another status on purpose: the path prefix, the status it gives, and why.
    /// They are still replayed; kubectl's own tests against the emulator show it proceeds all the same.
    static let divergences: [String: (status: Int, reason: String)] = [
        "/openapi/v2": (404, "the emulator serves OpenAPI v3 only; the recorded server answered 503 here, and kubectl falls back from either"),
    ]

    @Test func theLogIsReadable() throws {
        #expect(try KubectlExchange.all().count == 19)
    }

    @Test("request", arguments: exchanges)
    func replay(_ exchange: KubectlExchange) async throws {
        let divergence = Self.divergences.first { exchange.path.hasPrefix($0.key) }?.value
        let differences = try await KubectlSession.shared.replay(exchange, divergentStatus: divergence?.status)
        #expect(differences.isEmpty, "\(exchange.testDescription):\n\(differences.joined(separator: "\n"))")
    }
}

actor KubectlSession {
    static let shared = KubectlSession()
    private var emulator: KubeEmulator?
    private var identities = RunIdentities()

    private func baseURL() async throws -> String {
        if let emulator { return emulator.baseURL }
        var options = KubeEmulatorOptions()
        options.simulatesDeploymentController = false
        let started = try await KubeEmulator.start(options)
        emulator = started
        return started.baseURL
    }

    func replay(_ exchange: KubectlExchange, divergentStatus: Int? = nil) async throws -> [String] {
        let base = try await baseURL()
        var path = identities.translate(path: exchange.path)
        // kubectl rollout status watches for up to 580 s; a second shows the answer all the same.
        if path.contains("watch=true") || path.contains("watch=1") {
            path = path.replacingOccurrences(of: #"timeoutSeconds=\d+"#, with: "timeoutSeconds=1", options: .regularExpression)
        }
        let body = exchange.requestBody.flatMap { try? JSONValue(parsing: $0) }.map { identities.translate(body: $0) }
        let answer = try await HTTP.send(exchange.method, base + path, token: nil, contentType: exchange.contentType, body: body)
        var differences: [String] = []
        if answer.status != exchange.status && answer.status != divergentStatus {
            differences.append("status code: kube-apiserver answered \(exchange.status), the emulator \(answer.status)")
        }
        if let recorded = exchange.responseBody.flatMap({ try? JSONValue(parsing: $0) }),
           let actual = try? JSONValue(parsing: answer.text) {
            if recorded["kind"] != actual["kind"] {
                differences.append("kind: kube-apiserver answered \(recorded["kind"]?.serialized ?? "none"), the emulator \(actual["kind"]?.serialized ?? "none")")
            }
            if recorded["kind"]?.stringValue == "Status", recorded["reason"] != actual["reason"] {
                differences.append("reason: kube-apiserver answered \(recorded["reason"]?.serialized ?? "none"), the emulator \(actual["reason"]?.serialized ?? "none")")
            }
            identities.learn(recorded: recorded, actual: actual)
        }
        return differences
    }
}
