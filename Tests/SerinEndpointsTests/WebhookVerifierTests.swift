import Crypto
import SerinEndpoints
import Testing

@Suite("WebhookVerifier")
struct WebhookVerifierTests {
    static let secret = Self.make("It's a Secret to Everybody")
    static let header = "X-Hub-Signature-256"

    static func make(_ text: String) -> WebhookSecret {
        do { return try WebhookSecret(text) } catch { preconditionFailure("\(error)") }
    }

    @Test("GitHub's documented example verifies, in either case of hex digits")
    func githubExample() throws {
        // The test vector of GitHub's "Validating webhook deliveries" page.
        let body = Array("Hello, World!".utf8)
        let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(WebhookVerifier.signature(of: body, secret: Self.secret) == signature)
        let verifier = WebhookVerifier(secret: Self.secret)
        try verifier.verifySignature([signature], header: Self.header, body: body)
        try verifier.verifySignature(["SHA256=" + signature.dropFirst(7).uppercased()], header: Self.header, body: body)
    }

    @Test("a signature of another body, or with another secret, is a mismatch")
    func mismatch() {
        let verifier = WebhookVerifier(secret: Self.secret)
        let body = Array("Hello, World!".utf8)
        let otherBody = WebhookVerifier.signature(of: Array("Hello, World?".utf8), secret: Self.secret)
        let otherSecret = WebhookVerifier.signature(of: body, secret: Self.make("another secret"))
        for signature in [otherBody, otherSecret] {
            #expect(throws: WebhookVerifier.Failure.mismatch(header: Self.header)) {
                try verifier.verifySignature([signature], header: Self.header, body: body)
            }
        }
    }

    @Test("missing, empty, repeated and malformed signatures are refused before any HMAC is compared",
          arguments: [
              ([], WebhookVerifier.Failure.missing(header: header)),
              ([""], .missing(header: header)),
              (["sha256=" + String(repeating: "0", count: 64), "sha256=" + String(repeating: "1", count: 64)],
               .repeated(header: header)),
              (["sha1=" + String(repeating: "0", count: 40)], .malformed(header: header)),
              (["sha256=" + String(repeating: "0", count: 63)], .malformed(header: header)),
              (["sha256=" + String(repeating: "0", count: 65)], .malformed(header: header)),
              (["sha256=" + String(repeating: "g", count: 64)], .malformed(header: header)),
              ([String(repeating: "0", count: 64)], .malformed(header: header)),
              (["sha256= " + String(repeating: "0", count: 63)], .malformed(header: header)),
          ])
    func refused(values: [String], failure: WebhookVerifier.Failure) {
        let verifier = WebhookVerifier(secret: Self.secret)
        #expect(throws: failure) {
            try verifier.verifySignature(values, header: Self.header, body: [])
        }
    }

    @Test("a token matches only the exact secret, whatever its length")
    func token() throws {
        let verifier = WebhookVerifier(secret: Self.make("gitlab-token-1234"))
        let header = "X-Gitlab-Token"
        try verifier.verifyToken(["gitlab-token-1234"], header: header)
        for wrong in ["gitlab-token-123", "gitlab-token-12345", "GITLAB-TOKEN-1234", "x", String(repeating: "a", count: 1000)] {
            #expect(throws: WebhookVerifier.Failure.mismatch(header: header)) {
                try verifier.verifyToken([wrong], header: header)
            }
        }
        #expect(throws: WebhookVerifier.Failure.missing(header: header)) { try verifier.verifyToken([], header: header) }
        #expect(throws: WebhookVerifier.Failure.repeated(header: header)) {
            try verifier.verifyToken(["gitlab-token-1234", "gitlab-token-1234"], header: header)
        }
    }

    @Test("failure descriptions name the header and never the secret")
    func descriptions() {
        let failures: [WebhookVerifier.Failure] = [
            .missing(header: Self.header), .repeated(header: Self.header), .malformed(header: Self.header),
            .mismatch(header: Self.header),
        ]
        for failure in failures {
            #expect(failure.description.contains(Self.header))
            #expect(!failure.description.contains("Secret to Everybody"))
        }
    }

    @Test("a secret never shows itself in descriptions, debug output or dumps")
    func secretIsRedacted() throws {
        let secret = try WebhookSecret("hunter2-very-secret")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in ["\(secret)", String(describing: secret), String(reflecting: secret), dumped] {
            #expect(!text.contains("hunter2"))
        }
        #expect(throws: EndpointsError.self) { try WebhookSecret("") }
    }
}
