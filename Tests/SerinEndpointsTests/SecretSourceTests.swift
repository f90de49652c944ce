import Foundation
import SerinEndpoints
import Testing

@Suite("SecretSource")
struct SecretSourceTests {
    static func temporaryFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-secret-\(UUID().uuidString)").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func verifies(_ secret: WebhookSecret, as text: String) -> Bool {
        let verifier = WebhookVerifier(secret: secret)
        return (try? verifier.verifyToken([text], header: "X-Gitlab-Token")) != nil
    }

    @Test("a secret file's surrounding whitespace and final line break are dropped")
    func file() throws {
        let path = try Self.temporaryFile("  topsecret-value\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = try SecretSource.file(path).load(environment: [:])
        #expect(Self.verifies(secret, as: "topsecret-value"))
        #expect(!Self.verifies(secret, as: "topsecret-value\n"))
    }

    @Test("an environment variable is read from the given environment")
    func environment() throws {
        let secret = try SecretSource.environment("SERIN_WEBHOOK_SECRET").load(environment: ["SERIN_WEBHOOK_SECRET": "from-env\n"])
        #expect(Self.verifies(secret, as: "from-env"))
    }

    @Test("a missing file, an unset variable or an empty secret fail with what to do, never the secret")
    func failures() throws {
        let missing = "/nonexistent/serin-secret"
        #expect {
            try SecretSource.file(missing).load(environment: [:])
        } throws: { error in
            guard case EndpointsError.secretUnavailable(let source, _) = error else { return false }
            return source.contains(missing) && "\(error)".contains("leave the webhook secret unset")
        }
        #expect(throws: EndpointsError.secretUnavailable(source: "environment variable NOPE", reason: "it is not set")) {
            try SecretSource.environment("NOPE").load(environment: [:])
        }
        let blank = try Self.temporaryFile(" \n\n")
        defer { try? FileManager.default.removeItem(atPath: blank) }
        #expect {
            try SecretSource.file(blank).load(environment: [:])
        } throws: { error in
            guard case EndpointsError.emptySecret = error else { return false }
            return "\(error)".contains("openssl rand")
        }
    }

    @Test("serin run's sources: the file first, then SERIN_WEBHOOK_SECRET, else every endpoint off")
    func commandLine() {
        let environment = ["SERIN_WEBHOOK_SECRET": "x"]
        let fromFile = WebhookSecretSources.commandLine(secretFile: "/run/secrets/webhook", environment: environment)
        #expect(WebhookEndpoint.allCases.allSatisfy { "\(fromFile[$0].map(String.init(describing:)) ?? "")" == "file /run/secrets/webhook" })
        let fromEnvironment = WebhookSecretSources.commandLine(secretFile: nil, environment: environment)
        #expect("\(fromEnvironment.github.map(String.init(describing:)) ?? "")" == "environment variable SERIN_WEBHOOK_SECRET")
        let off = WebhookSecretSources.commandLine(secretFile: nil, environment: [:])
        #expect(WebhookEndpoint.allCases.allSatisfy { off[$0] == nil })
    }
}
