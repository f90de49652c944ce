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

    @Test func theLogIsReadable() throws {
        #expect(try KubectlExchange.all().count == 19)
    }

    @Test("request", arguments: exchanges)
    func replay(_ exchange: KubectlExchange) async throws {
        // Requests answered otherwise on purpose are listed in `KnownDivergence`; kubectl's own tests against the
        // emulator show it proceeds all the same.
        let differences = try await KubectlSession.shared.replay(exchange, divergence: KnownDivergence.forKubectl(path: exchange.path))
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

    func replay(_ exchange: KubectlExchange, divergence: KnownDivergence? = nil) async throws -> [String] {
        let base = try await baseURL()
        var path = identities.translate(path: exchange.path)
        // kubectl rollout status watches for up to 580 s; a second shows the answer all the same.
        if path.contains("watch=true") || path.contains("watch=1") {
            path = path.replacingOccurrences(of: #"timeoutSeconds=\d+"#, with: "timeoutSeconds=1", options: .regularExpression)
        }
        let body = exchange.requestBody.flatMap { try? JSONValue(parsing: $0) }.map { identities.translate(body: $0) }
        let answer = try await HTTP.send(exchange.method, base + path, token: nil, contentType: exchange.contentType, body: body)
        var differences: [String] = []
        var expectedStatus = exchange.status
        if case .otherStatus(let status, _)? = divergence { expectedStatus = status }
        if answer.status != expectedStatus {
            differences.append("status code: kube-apiserver answered \(exchange.status), the emulator \(answer.status)")
        }
        if case .otherStatus? = divergence { return differences }
        guard let recordedText = exchange.responseBody, !recordedText.isEmpty else { return differences }
        guard let actual = try? JSONValue(parsing: answer.text) else {
            differences.append("body: kube-apiserver answered JSON, the emulator \(answer.text.prefix(200))")
            return differences
        }
        if let recorded = try? JSONValue(parsing: recordedText) {
            differences += Self.shapeDifferences(recorded: BodyShape(recorded), actual: actual, divergence: divergence)
            identities.learn(recorded: recorded, actual: actual)
        } else {
            // kubectl's log cuts long bodies ("[truncated N chars]"); their opening still shows the shape.
            differences += Self.shapeDifferences(recorded: BodyShape(truncated: recordedText), actual: actual, divergence: divergence)
        }
        return differences
    }

    /// The same kind (or, for documents without one, the same first field), and for a Status the same reason.
    private static func shapeDifferences(recorded: BodyShape, actual: JSONValue, divergence: KnownDivergence?) -> [String] {
        var differences: [String] = []
        if let kind = recorded.kind {
            let accepted: Set<String>
            if case .legacyDiscovery? = divergence { accepted = ["APIVersions", "APIGroupList"] } else { accepted = [kind] }
            if !accepted.contains(actual["kind"]?.stringValue ?? "") {
                differences.append("kind: kube-apiserver answered \(kind), the emulator \(actual["kind"]?.serialized ?? "none")")
            }
        } else {
            for field in recorded.fields where actual[field] == nil {
                differences.append("shape: kube-apiserver answered a document with \(field), the emulator one without")
            }
        }
        if recorded.kind == "Status", recorded.reason != actual["reason"]?.stringValue {
            differences.append("reason: kube-apiserver answered \(recorded.reason ?? "none"), the emulator \(actual["reason"]?.serialized ?? "none")")
        }
        return differences
    }
}

/// What a recorded body's shape is compared by: its kind (a Status's reason too), or its top-level fields when it
/// has no kind (OpenAPI documents).
struct BodyShape {
    var kind: String?
    var reason: String?
    var fields: [String] = []

    init(_ document: JSONValue) {
        kind = document["kind"]?.stringValue
        reason = document["reason"]?.stringValue
        fields = document.objectValue?.keys.sorted() ?? []
    }

    /// From the opening of a body the log cut short: `{"kind":"Deployment",…` or `{"paths":{…`.
    init(truncated text: String) {
        if let match = text.firstMatch(of: /^\{"kind":"([^"]+)"/) { kind = String(match.1) }
        if let match = text.firstMatch(of: /^\{"([^"]+)":/) { fields = [String(match.1)] }
    }
}
