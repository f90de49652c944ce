import Foundation
import InMemoryLogging
import SerinCore
import SerinEndpoints
import SerinHTTP
import Testing

/// The server on a real loopback port, driven by real HTTP requests (libcurl through SerinHTTP, or raw bytes).
@Suite("EndpointsServer")
struct EndpointsServerTests {
    // MARK: GitHub

    @Test("a GitHub push to the watched branch with a valid signature triggers exactly one sync")
    func githubPush() async throws {
        try await EndpointsFixture.with { fixture in
            let response = try await fixture.github(event: "push", body: Payloads.githubPush(ref: "refs/heads/main"))
            #expect(response.status == 202)
            #expect(response.json["result"] as? String == "triggered")
            #expect(response.headers["content-type"] == "application/json")
            #expect(fixture.syncs.value == 1)
            let exposition = Exposition(fixture.metrics.exposition())
            #expect(exposition[#"serin_webhook_requests_total{endpoint="github",result="triggered"}"#] == 1)
            #expect(fixture.logText.contains("syncing now"))
        }
    }

    @Test("a wrong signature gets 401, a log line, and no sync")
    func githubWrongSignature() async throws {
        try await EndpointsFixture.with { fixture in
            let body = Payloads.githubPush(ref: "refs/heads/main")
            let wrong = WebhookVerifier.signature(of: Array(body.utf8), secret: EndpointsFixture.secret("not-the-secret"))
            let response = try await fixture.github(event: "push", body: body, signature: wrong)
            #expect(response.status == 401)
            #expect(response.json["result"] as? String == "unauthorized")
            #expect(fixture.syncs.value == 0)
            let warning = fixture.logs.entries.first { $0.level == .warning }
            #expect(warning.map { "\($0.message)" }?.contains("X-Hub-Signature-256 does not match") == true)
            #expect(warning?.metadata["endpoint"] == "/hooks/github")
            #expect(warning?.metadata["delivery"] == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        }
    }

    @Test("a missing signature gets 401 and no sync")
    func githubMissingSignature() async throws {
        try await EndpointsFixture.with { fixture in
            let response = try await fixture.github(event: "push", body: Payloads.githubPush(ref: "refs/heads/main"),
                                                    signature: "")
            #expect(response.status == 401)
            #expect((response.json["message"] as? String)?.contains("no X-Hub-Signature-256") == true)
            #expect(fixture.syncs.value == 0)
        }
    }

    @Test("a push to another branch is acknowledged with the reason and ignored")
    func githubOtherBranch() async throws {
        try await EndpointsFixture.with { fixture in
            let response = try await fixture.github(event: "push", body: Payloads.githubPush(ref: "refs/heads/dev"))
            #expect(response.status == 200)
            #expect(response.json["result"] as? String == "ignored")
            #expect((response.json["message"] as? String)?.contains("refs/heads/dev") == true)
            #expect(fixture.syncs.value == 0)
        }
    }

    @Test("GitHub's ping is answered 200 without a sync")
    func githubPing() async throws {
        try await EndpointsFixture.with { fixture in
            let response = try await fixture.github(event: "ping", body: Payloads.githubPing)
            #expect(response.status == 200)
            #expect(response.json["result"] as? String == "ping")
            #expect(fixture.syncs.value == 0)
        }
    }

    // MARK: GitLab and generic

    @Test("GitLab: the right token syncs a push to the branch; a wrong one gets 401")
    func gitlab() async throws {
        try await EndpointsFixture.with { fixture in
            let body = Array(Payloads.gitlabPush(ref: "refs/heads/main").utf8)
            let good = try await fixture.send("POST", "/hooks/gitlab", headers: [
                "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: \(EndpointsFixture.gitlabToken)", "Content-Type: application/json",
            ], body: body)
            #expect(good.status == 202)
            #expect(fixture.syncs.value == 1)
            let bad = try await fixture.send("POST", "/hooks/gitlab", headers: [
                "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: \(EndpointsFixture.gitlabToken)x",
            ], body: body)
            #expect(bad.status == 401)
            #expect(fixture.syncs.value == 1)
        }
    }

    @Test("generic: an HMAC-signed POST syncs; one for another ref is ignored; an unsigned one gets 401")
    func generic() async throws {
        try await EndpointsFixture.with { fixture throws in
            let secret = EndpointsFixture.secret(EndpointsFixture.genericSecret)
            func post(_ body: String, signed: Bool = true) async throws -> HTTPResponse {
                let bytes = Array(body.utf8)
                let headers = signed ? ["X-Serin-Signature: \(WebhookVerifier.signature(of: bytes, secret: secret))"] : []
                return try await fixture.send("POST", "/hooks/generic", headers: headers, body: bytes)
            }
            #expect(try await post(#"{"ref": "main"}"#).status == 202)
            #expect(try await post("").status == 202)
            #expect(fixture.syncs.value == 2)
            #expect(try await post(#"{"ref": "refs/heads/dev"}"#).status == 200)
            #expect(try await post(#"{"ref": "main"}"#, signed: false).status == 401)
            #expect(fixture.syncs.value == 2)
        }
    }

    // MARK: Limits

    @Test("a 2 MiB body is refused with 413 and no sync")
    func tooLarge() async throws {
        try await EndpointsFixture.with { fixture in
            let body = [UInt8](repeating: UInt8(ascii: " "), count: 2 << 20)
            let signature = WebhookVerifier.signature(of: body, secret: EndpointsFixture.secret(EndpointsFixture.githubSecret))
            let response = try await fixture.send("POST", "/hooks/github", headers: [
                "X-GitHub-Event: push", "X-Hub-Signature-256: \(signature)",
            ], body: body)
            #expect(response.status == 413)
            #expect(response.json["result"] as? String == "too_large")
            #expect(fixture.syncs.value == 0)
            let exposition = Exposition(fixture.metrics.exposition())
            #expect(exposition[#"serin_webhook_requests_total{endpoint="github",result="too_large"}"#] == 1)
            // The server is still there for the next request.
            #expect(try await fixture.get("/healthz").status == 200)
        }
    }

    @Test("a declared Content-Length over the limit is refused before any body is sent, without 100 Continue")
    func tooLargeBeforeBody() async throws {
        try await EndpointsFixture.with { fixture in
            let answer = try await RawHTTPClient.exchange(port: fixture.port, head: """
                POST /hooks/generic HTTP/1.1\r
                Host: 127.0.0.1\r
                Content-Length: \(2 << 20)\r
                Expect: 100-continue\r
                X-Serin-Signature: sha256=\(String(repeating: "0", count: 64))\r
                \r

                """)
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer)")
            #expect(!answer.contains("100 Continue"))
            #expect(answer.lowercased().contains("connection: close"))
        }
    }

    @Test("a client that sends an oversized body without waiting still reads the 413")
    func tooLargeWithoutExpect() async throws {
        try await EndpointsFixture.with { fixture in
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
            let answer = try await RawHTTPClient.exchange(port: fixture.port, head: """
                POST /hooks/generic HTTP/1.1\r
                Host: 127.0.0.1\r
                Content-Length: \(2 << 20)\r
                \r

                """, body: Array(repeating: chunk, count: 32))
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(fixture.syncs.value == 0)
        }
    }

    @Test("a chunked body is refused the moment it passes the limit")
    func tooLargeChunked() async throws {
        try await EndpointsFixture.with { fixture in
            let piece = [UInt8](repeating: UInt8(ascii: "y"), count: 256 << 10)
            let chunk = Array("40000\r\n".utf8) + piece + Array("\r\n".utf8)
            let answer = try await RawHTTPClient.exchange(port: fixture.port, head: """
                POST /hooks/generic HTTP/1.1\r
                Host: 127.0.0.1\r
                Transfer-Encoding: chunked\r
                \r

                """, body: Array(repeating: chunk, count: 6) + [Array("0\r\n\r\n".utf8)])
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(fixture.syncs.value == 0)
        }
    }

    @Test("a body of exactly the limit is read and judged; one byte more is refused")
    func limitBoundary() async throws {
        try await EndpointsFixture.with(maximumBodySize: 64 << 10) { fixture in
            let secret = EndpointsFixture.secret(EndpointsFixture.genericSecret)
            for (size, status) in [(64 << 10, 202), ((64 << 10) + 1, 413)] {
                let body = [UInt8](repeating: UInt8(ascii: " "), count: size)
                let response = try await fixture.send("POST", "/hooks/generic", headers: [
                    "X-Serin-Signature: \(WebhookVerifier.signature(of: body, secret: secret))",
                ], body: body)
                #expect(response.status == status, "\(size) bytes")
            }
            #expect(fixture.syncs.value == 1)
        }
    }

    // MARK: Endpoints off

    @Test("an endpoint without a secret refuses everything, and the start log says which are off")
    func disabled() async throws {
        let sources = WebhookSecretSources(github: .value(EndpointsFixture.secret(EndpointsFixture.githubSecret)))
        try await EndpointsFixture.with(secrets: sources) { fixture in
            #expect(fixture.server.disabledEndpoints == [.gitlab, .generic])
            let notice = fixture.logs.entries.first { $0.level == .notice }
            #expect(notice.map { "\($0.metadata["off"] ?? "")" } == "/hooks/gitlab, /hooks/generic")
            #expect(notice.map { "\($0.message)" }?.contains("--webhook-secret-file or SERIN_WEBHOOK_SECRET") == true)

            let gitlab = try await fixture.send("POST", "/hooks/gitlab", headers: [
                "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: anything",
            ], body: Array(Payloads.gitlabPush(ref: "refs/heads/main").utf8))
            #expect(gitlab.status == 403)
            #expect((gitlab.json["message"] as? String)?.contains("no webhook secret") == true)
            let generic = try await fixture.send("POST", "/hooks/generic", body: [])
            #expect(generic.status == 403)
            #expect(fixture.syncs.value == 0)
            // The configured one still works.
            #expect(try await fixture.github(event: "push", body: Payloads.githubPush(ref: "refs/heads/main")).status == 202)
        }
    }

    // MARK: Metrics, health, readiness

    @Test("/metrics passes promtool check metrics and has the series recorded before the scrape")
    func metrics() async throws {
        try await EndpointsFixture.with { fixture in
            SerinMetricsTests.recordEverything(fixture.metrics)
            _ = try await fixture.github(event: "push", body: Payloads.githubPush(ref: "refs/heads/main"), signature: "")
            let response = try await fixture.get("/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let check = try await Promtool.checkMetrics(response.body)
            #expect(check.status == 0, "\(check.output)")
            let exposition = Exposition(response.body)
            #expect(exposition[#"serin_reconciles_total{namespace="ml",deployment="iris"}"#] == 2)
            #expect(exposition[#"serin_rollout_phase{namespace="ml",deployment="iris",phase="Progressing"}"#] == 1)
            #expect(exposition[#"serin_webhook_requests_total{endpoint="github",result="unauthorized"}"#] == 1)
        }
    }

    @Test("/healthz answers 200 from the start")
    func healthz() async throws {
        try await EndpointsFixture.with { fixture in
            let response = try await fixture.get("/healthz")
            #expect(response.status == 200)
            #expect(response.json["status"] as? String == "alive")
            let head = try await RawHTTPClient.exchange(port: fixture.port, head: """
                HEAD /healthz HTTP/1.1\r
                Host: 127.0.0.1\r
                Connection: close\r
                \r

                """)
            #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
            #expect(head.hasSuffix("\r\n\r\n"), "a HEAD answer has no body: \(head)")
        }
    }

    @Test("/readyz is 503 with the reason until a sync succeeded and the role is settled, then 200")
    func readyz() async throws {
        try await EndpointsFixture.with { fixture in
            let before = try await fixture.get("/readyz")
            #expect(before.status == 503)
            #expect((before.json["reason"] as? String)?.contains("no Git sync has succeeded yet") == true)
            fixture.readiness.recordSuccessfulSync()
            #expect(try await fixture.get("/readyz").status == 200)
            fixture.readiness.setRole(.undecided)
            let electing = try await fixture.get("/readyz")
            #expect(electing.status == 503)
            #expect((electing.json["reason"] as? String)?.contains("leader election") == true)
            fixture.readiness.setRole(.standby)
            #expect(try await fixture.get("/readyz").status == 200)
        }
    }

    // MARK: HTTP

    @Test("unknown paths get 404 and wrong methods 405 with Allow, on a connection that stays usable")
    func routing() async throws {
        try await EndpointsFixture.with { fixture in
            let missing = try await fixture.get("/hooks/bitbucket")
            #expect(missing.status == 404)
            #expect((missing.json["error"] as? String)?.contains("POST /hooks/github") == true)
            let wrong = try await fixture.get("/hooks/github")
            #expect(wrong.status == 405)
            #expect(wrong.headers["allow"] == "POST")
            #expect(try await fixture.send("POST", "/metrics", body: Array("x".utf8)).status == 405)
            let exposition = Exposition(fixture.metrics.exposition())
            #expect(exposition[#"serin_webhook_requests_total{endpoint="github",result="method_not_allowed"}"#] == 1)
        }
    }

    @Test("a connection that sends nothing is closed after the idle timeout")
    func idle() async throws {
        try await EndpointsFixture.with(idleTimeout: .milliseconds(300)) { fixture in
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await RawHTTPClient.exchange(port: fixture.port, head: "POST /hooks/generic HTTP/1.1\r\n",
                                                          timeout: .seconds(20))
            #expect(clock.now - start < .seconds(10))
            #expect(answer.isEmpty)
        }
    }

    @Test("stop() closes the listener; nothing answers afterwards")
    func stop() async throws {
        var port = 0
        try await EndpointsFixture.with { fixture throws in
            port = fixture.port
            #expect(try await fixture.get("/healthz").status == 200)
        }
        await #expect(throws: HTTPTransportError.self) {
            try await HTTPTransport.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/healthz",
                                                     connectTimeout: .seconds(2), timeout: .seconds(5)))
        }
    }

    @Test("start fails with what to do when a secret file is missing or the port is taken")
    func startFailures() async throws {
        let logger = EndpointsFixture.logger(InMemoryLogHandler())
        let missing = EndpointsConfiguration(port: 0, branch: "main",
                                             webhookSecrets: .shared(.file("/nonexistent/serin-webhook-secret")))
        await #expect(throws: EndpointsError.self) {
            _ = try await EndpointsServer.start(missing, syncNow: {}, readiness: { .ready }, logger: logger)
        }
        try await EndpointsFixture.with { fixture in
            let taken = EndpointsConfiguration(port: fixture.port, branch: "main")
            await #expect {
                _ = try await EndpointsServer.start(taken, syncNow: {}, readiness: { .ready }, logger: logger)
            } throws: { error in
                guard case EndpointsError.cannotListen(_, let port, _) = error else { return false }
                return port == fixture.port && "\(error)".contains("another process already listens there")
                    && "\(error)".contains("--listen") && !"\(error)".contains("errno")
            }
        }
    }

    // MARK: Secrets in logs

    @Test("no secret ever appears in a log line, whatever the requests")
    func secretsNeverLogged() async throws {
        let logs = InMemoryLogHandler()
        try await EndpointsFixture.with(logs: logs) { fixture in
            let push = Payloads.githubPush(ref: "refs/heads/main")
            _ = try await fixture.github(event: "push", body: push)
            _ = try await fixture.github(event: "push", body: Payloads.githubPush(ref: "refs/heads/dev"))
            _ = try await fixture.github(event: "push", body: push, signature: "sha256=" + String(repeating: "a", count: 64))
            _ = try await fixture.github(event: "push", body: push, signature: "garbage")
            _ = try await fixture.github(event: "push", body: push, signature: "")
            _ = try await fixture.github(event: "ping", body: Payloads.githubPing)
            _ = try await fixture.send("POST", "/hooks/gitlab", headers: [
                "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: \(EndpointsFixture.gitlabToken)",
            ], body: Array(Payloads.gitlabPush(ref: "refs/heads/main").utf8))
            _ = try await fixture.send("POST", "/hooks/gitlab", headers: [
                "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: \(EndpointsFixture.gitlabToken.dropLast())",
            ], body: [])
            _ = try await fixture.send("POST", "/hooks/generic", headers: ["X-Serin-Signature: sha256=zz"], body: [])
            _ = try await fixture.send("POST", "/hooks/generic", body: [UInt8](repeating: 0x20, count: 2 << 20))
        }
        // Start and stop lines are captured too.
        let text = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(logs.entries.count >= 10)
        #expect(logs.entries.contains { $0.level == .warning })
        for secret in EndpointsFixture.allSecrets {
            #expect(!text.contains(secret))
            #expect(!text.contains(String(secret.dropLast())))
        }
    }
}
