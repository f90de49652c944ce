import SerinEndpoints
import Testing

@Suite("WebhookReceiver")
struct WebhookReceiverTests {
    static let secret = WebhookVerifierTests.make("s3cret-for-receiver-tests")

    static func receiver(_ endpoint: WebhookEndpoint, secret: WebhookSecret? = Self.secret) -> WebhookReceiver {
        WebhookReceiver(endpoint: endpoint, secret: secret, branch: "main")
    }

    static func signed(_ body: String, header: String = "X-Hub-Signature-256", extra: [(String, String)] = [])
        -> WebhookRequest
    {
        let bytes = Array(body.utf8)
        let signature = WebhookVerifier.signature(of: bytes, secret: secret)
        return WebhookRequest(headers: [(header, signature)] + extra.map { (name: $0.0, value: $0.1) }, body: bytes)
    }

    // MARK: GitHub

    @Test("GitHub: a push to the watched branch triggers a sync")
    func githubPush() {
        let outcome = Self.receiver(.github).receive(
            Self.signed(Payloads.githubPush(ref: "refs/heads/main"), extra: [("X-GitHub-Event", "push")]))
        #expect(outcome.result == .triggered)
        #expect(outcome.status == 202)
        #expect(outcome.triggersSync)
        #expect(outcome.push?.after == "9f3c1e0d2b7a4c5e6f8091a2b3c4d5e6f7081920")
    }

    @Test("GitHub: pushes to other branches and tags are acknowledged and ignored, saying why",
          arguments: ["refs/heads/dev", "refs/tags/main", "refs/heads/main-next"])
    func githubOtherRef(ref: String) {
        let outcome = Self.receiver(.github).receive(
            Self.signed(Payloads.githubPush(ref: ref), extra: [("X-GitHub-Event", "push")]))
        #expect(outcome.result == .ignored)
        #expect(outcome.status == 200)
        #expect(outcome.message.contains(ref))
        #expect(outcome.message.contains("main"))
    }

    @Test("GitHub: ping answers 200; other events are ignored; a missing event header is a bad request")
    func githubEvents() {
        let ping = Self.receiver(.github).receive(Self.signed(Payloads.githubPing, extra: [("X-GitHub-Event", "ping")]))
        #expect(ping.result == .ping)
        #expect(ping.status == 200)
        let issues = Self.receiver(.github).receive(Self.signed("{}", extra: [("X-GitHub-Event", "issues")]))
        #expect(issues.result == .ignored)
        #expect(issues.message.contains("issues"))
        let none = Self.receiver(.github).receive(Self.signed(Payloads.githubPush(ref: "refs/heads/main")))
        #expect(none.result == .badRequest)
    }

    @Test("GitHub: nothing is read before the signature checks out")
    func githubUnsigned() {
        let body = Array(Payloads.githubPush(ref: "refs/heads/main").utf8)
        let wrong = WebhookVerifier.signature(of: body, secret: WebhookVerifierTests.make("wrong"))
        let cases: [[(name: String, value: String)]] = [
            [("X-GitHub-Event", "push")],
            [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", wrong)],
            [("X-GitHub-Event", "push"), ("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000")],
            [("X-GitHub-Event", "push"), ("X-Gitlab-Token", "s3cret-for-receiver-tests")],
        ]
        for headers in cases {
            let outcome = Self.receiver(.github).receive(WebhookRequest(headers: headers, body: body))
            #expect(outcome.result == .unauthorized)
            #expect(outcome.status == 401)
            #expect(!outcome.message.contains("s3cret"))
        }
    }

    @Test("GitHub: a form-encoded or unreadable payload is a bad request with a hint")
    func githubBadPayload() {
        let form = Self.receiver(.github).receive(
            Self.signed("payload=%7B%7D", extra: [("X-GitHub-Event", "push"),
                                                  ("Content-Type", "application/x-www-form-urlencoded")]))
        #expect(form.result == .badRequest)
        #expect(form.message.contains("application/json"))
        let broken = Self.receiver(.github).receive(Self.signed("{\"ref\":", extra: [("X-GitHub-Event", "push")]))
        #expect(broken.result == .badRequest)
        let noRef = Self.receiver(.github).receive(Self.signed("{}", extra: [("X-GitHub-Event", "push")]))
        #expect(noRef.result == .badRequest)
    }

    // MARK: GitLab

    @Test("GitLab: the token header authenticates; Push Hook to the branch syncs, others are ignored")
    func gitlab() {
        func request(_ token: String?, event: String, ref: String = "refs/heads/main") -> WebhookRequest {
            var headers: [(name: String, value: String)] = [("X-Gitlab-Event", event)]
            if let token { headers.append(("X-Gitlab-Token", token)) }
            return WebhookRequest(headers: headers, body: Array(Payloads.gitlabPush(ref: ref).utf8))
        }
        let receiver = Self.receiver(.gitlab)
        #expect(receiver.receive(request("s3cret-for-receiver-tests", event: "Push Hook")).result == .triggered)
        #expect(receiver.receive(request("s3cret-for-receiver-tests", event: "Push Hook", ref: "refs/heads/dev")).result == .ignored)
        #expect(receiver.receive(request("s3cret-for-receiver-tests", event: "Tag Push Hook")).result == .ignored)
        #expect(receiver.receive(request("s3cret-for-receiver-tests", event: "Merge Request Hook")).result == .ignored)
        #expect(receiver.receive(request("wrong", event: "Push Hook")).result == .unauthorized)
        #expect(receiver.receive(request(nil, event: "Push Hook")).result == .unauthorized)
    }

    // MARK: Generic

    @Test("generic: any signed POST syncs unless its JSON names another ref")
    func generic() {
        let receiver = Self.receiver(.generic)
        let header = "X-Serin-Signature"
        #expect(receiver.receive(Self.signed("", header: header)).result == .triggered)
        #expect(receiver.receive(Self.signed("not json", header: header)).result == .triggered)
        #expect(receiver.receive(Self.signed(#"{"ref": "main"}"#, header: header)).result == .triggered)
        #expect(receiver.receive(Self.signed(#"{"ref": "refs/heads/main"}"#, header: header)).result == .triggered)
        #expect(receiver.receive(Self.signed(#"{"ref": "dev"}"#, header: header)).result == .ignored)
        #expect(receiver.receive(Self.signed(#"{"ref": "main"}"#, header: "X-Hub-Signature-256")).result == .unauthorized)
        #expect(receiver.receive(WebhookRequest(headers: [], body: [])).result == .unauthorized)
    }

    // MARK: Off

    @Test("an endpoint without a secret refuses everything, even a request signed with an empty key",
          arguments: WebhookEndpoint.allCases)
    func disabled(endpoint: WebhookEndpoint) {
        let receiver = Self.receiver(endpoint, secret: nil)
        #expect(!receiver.isEnabled)
        let outcome = receiver.receive(Self.signed(Payloads.githubPush(ref: "refs/heads/main"),
                                                   header: endpoint.credentialHeader,
                                                   extra: [("X-GitHub-Event", "push"), ("X-Gitlab-Event", "Push Hook")]))
        #expect(outcome.result == .disabled)
        #expect(outcome.status == 403)
        #expect(outcome.message.contains("--webhook-secret-file"))
    }
}
