import Crypto
import Foundation
import SerinCore
import SerinGates
import Synchronization
import TestSupport
import Testing

/// Webhook gates against loopback HTTP receivers.
@Suite("Webhook gates against a loopback receiver")
struct WebhookGateTests {
    private let rollout = RolloutSpec()

    private func check(_ webhook: WebhookCheck, environment: [String: String] = [:], context: GateContext = gateContext()) async -> GateResult {
        let checker = GateChecker(metrics: nil, webhooks: WebhookClient(environment: environment, logger: testLogger), logger: testLogger)
        return await checker.check(Gate(name: "smoke", check: .webhook(webhook)), rollout: rollout, context: context, at: 0)
    }

    /// HMAC-SHA256 of `body` under `key` as lowercase hex, computed here rather than by the code under test.
    private func expectedSignature(_ body: [UInt8], key: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    @Test func a200AnswerPassesAndTheSignedBodyDescribesTheRollout() async throws {
        let receiver = try LoopbackHTTPServer { _ in .respond(status: 200, body: Array("all 40 golden images classified\n".utf8)) }
        defer { receiver.stop() }
        let webhook = WebhookCheck(url: receiver.url + "/run?suite=golden", timeout: .seconds(5), metadata: ["suite": "golden"],
                                   secret: .environment("SMOKE_KEY"))
        let result = await check(webhook, environment: ["SMOKE_KEY": "s3cr3t-key"])
        #expect(result.verdict == .pass)
        #expect(result.message == "HTTP 200: all 40 golden images classified")
        #expect(result.threshold == "2xx within 5s")

        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/run?suite=golden")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["x-serin-signature"] == expectedSignature(request.body, key: "s3cr3t-key"))
        #expect(WebhookSignature.isValid(try #require(request.headers["x-serin-signature"]), body: request.body, key: Array("s3cr3t-key".utf8)))
        #expect(!WebhookSignature.isValid(try #require(request.headers["x-serin-signature"]), body: request.body, key: Array("other".utf8)))

        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["model"] as? String == "fraud-detector")
        #expect(body["namespace"] as? String == "ml-prod")
        #expect(body["name"] as? String == "fraud")
        #expect(body["canaryVersion"] as? String == "2")
        #expect(body["stableVersion"] as? String == "1")
        #expect(body["weight"] as? Int == 25)
        #expect(body["step"] as? Int == 1)
        #expect(body["gate"] as? String == "smoke")
        #expect(body["metadata"] as? [String: String] == ["suite": "golden"])
        #expect(!String(decoding: request.body, as: UTF8.self).contains("s3cr3t"))
    }

    @Test func a500AnswerFailsWithWhatTheReceiverSaid() async throws {
        let receiver = try LoopbackHTTPServer { _ in .respond(status: 500, body: Array("image 7:\n misclassified as cat".utf8)) }
        defer { receiver.stop() }
        let result = await check(WebhookCheck(url: receiver.url + "/run", timeout: .seconds(5)))
        #expect(result.verdict == .fail)
        #expect(result.message == "HTTP 500: image 7: misclassified as cat")
        #expect(receiver.requests.first?.headers["x-serin-signature"] == nil)
        #expect(LedgerCommitMessage.gateLine(result) == "smoke: fail; HTTP 500: image 7: misclassified as cat")
    }

    @Test func aReceiverThatNeverAnswersWithinTheTimeoutIsInconclusive() async throws {
        let receiver = try LoopbackHTTPServer { _ in .hold }
        defer { receiver.stop() }
        let started = ContinuousClock.now
        let result = await check(WebhookCheck(url: receiver.url + "/run", timeout: SpecDuration(milliseconds: 500)))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.verdict == .inconclusive)
        #expect(result.message == "the webhook at \(receiver.url)/run did not answer within 500ms")
    }

    @Test func aRefusedConnectionIsInconclusive() async throws {
        let port = try LoopbackPort.reserve()
        #expect(!LoopbackPort.isAccepting(port))
        let result = await check(WebhookCheck(url: "http://127.0.0.1:\(port)/run", timeout: .seconds(5)))
        #expect(result.verdict == .inconclusive)
        #expect(result.message?.hasPrefix("the webhook at http://127.0.0.1:\(port)/run is unreachable: ") == true, "\(result.message ?? "")")
    }

    @Test func aKeyFileIsReadWithoutItsTrailingNewline() async throws {
        let directory = try TemporaryDirectory(prefix: "serin-webhook-key")
        defer { directory.remove() }
        let keyFile = directory.url.appendingPathComponent("key")
        try Data("file-key\n".utf8).write(to: keyFile)
        let receiver = try LoopbackHTTPServer { _ in .respond(status: 204, body: []) }
        defer { receiver.stop() }
        let result = await check(WebhookCheck(url: receiver.url + "/run", timeout: .seconds(5), secret: .file(keyFile.path)))
        #expect(result.verdict == .pass)
        let request = try #require(receiver.requests.first)
        #expect(request.headers["x-serin-signature"] == expectedSignature(request.body, key: "file-key"))
    }

    @Test func anUnreadableKeySendsNothingAndIsInconclusive() async throws {
        let receiver = try LoopbackHTTPServer { _ in .respond(status: 200, body: []) }
        defer { receiver.stop() }
        let missingFile = await check(WebhookCheck(url: receiver.url, timeout: .seconds(5), secret: .file("/nonexistent/serin/key")))
        #expect(missingFile.verdict == .inconclusive)
        #expect(missingFile.message?.hasPrefix("cannot read the webhook signing key from file /nonexistent/serin/key: ") == true, "\(missingFile.message ?? "")")
        let unsetVariable = await check(WebhookCheck(url: receiver.url, timeout: .seconds(5), secret: .environment("SERIN_UNSET_KEY")))
        #expect(unsetVariable.message == "the webhook signing key's environment variable SERIN_UNSET_KEY is not set in Serin's environment; the request was not sent, because the gate asks for signed requests")
        let empty = await check(WebhookCheck(url: receiver.url, timeout: .seconds(5), secret: .environment("EMPTY")), environment: ["EMPTY": "\n"])
        #expect(empty.verdict == .inconclusive)
        #expect(receiver.requests.isEmpty)
    }

    @Test func gatesAreCheckedConcurrentlyAndReportedInSpecOrder() async throws {
        // The two calls to this receiver pass only if each arrives while the other is waiting: checked one after the
        // other, the first gives up (504) before the second is sent. No clock is read, so a slow machine only waits.
        let rendezvous = Rendezvous(parties: 2)
        let slow = try LoopbackHTTPServer { _ in
            rendezvous.arriveAndWait(upTo: .seconds(4)) ? .respond(status: 200, body: []) : .respond(status: 504, body: [])
        }
        defer { slow.stop() }
        let fast = try LoopbackHTTPServer { _ in .respond(status: 503, body: []) }
        defer { fast.stop() }
        let gates = (0..<4).map { index in
            Gate(name: "hook\(index)", check: .webhook(WebhookCheck(url: (index % 2 == 0 ? slow.url : fast.url) + "/\(index)", timeout: .seconds(5))))
        }
        let checker = GateChecker(metrics: nil, webhooks: WebhookClient(logger: testLogger), logger: testLogger)
        let results = await checker.check(gates, rollout: rollout, context: gateContext())
        #expect(results.map(\.name) == ["hook0", "hook1", "hook2", "hook3"])
        #expect(results.map(\.verdict) == [.pass, .fail, .pass, .fail], "the two slow calls did not overlap: \(results)")
    }

    @Test func metricGatesWithoutAPrometheusSaySo() async {
        let checker = GateChecker(metrics: nil, webhooks: WebhookClient(logger: testLogger), logger: testLogger)
        let results = await checker.check([Gate(name: "successRate", check: .successRate(min: 0.99))], rollout: rollout, context: gateContext())
        #expect(results.first?.verdict == .inconclusive)
        #expect(results.first?.message == "no Prometheus is configured for Serin, so metric gates have no evidence; configure one, or remove the gate")
    }
}

/// Lets `parties` threads through only together: each waits until all have arrived, or gives up after a while.
final class Rendezvous: Sendable {
    private let parties: Int
    private let arrived = Mutex(0)
    private let released = DispatchSemaphore(value: 0)

    init(parties: Int) { self.parties = parties }

    /// True when every party arrived within `limit` of this one.
    func arriveAndWait(upTo limit: Duration) -> Bool {
        let count = arrived.withLock { count -> Int in
            count += 1
            return count
        }
        if count == parties {
            for _ in 0..<parties { released.signal() }
        }
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        return released.wait(timeout: .now() + seconds) == .success
    }
}
