import SerinCore
import Testing

/// One judgement: a gate, what was measured, and the result it must give.
struct VerdictCase: Sendable, CustomTestStringConvertible {
    var name: String
    var check: GateCheck
    var stableVersion: String? = "12"
    var measurement: GateMeasurement
    var verdict: GateResult.Verdict
    var value: Double?
    var threshold: String
    var message: String?

    var testDescription: String { name }
}

private let floor99 = GateCheck.successRate(min: 0.99)
private let relativeRate = GateCheck.successRate(SuccessRateCheck(maxDropFromStable: 0.01))
private let bothRates = GateCheck.successRate(SuccessRateCheck(min: 0.98, maxDropFromStable: 0.01))
private let p99Under250 = GateCheck.latency(quantile: 0.99, max: SpecDuration(milliseconds: 250))
private let p99Relative = GateCheck.latency(LatencyCheck(quantile: 0.99, maxIncreaseOverStable: 0.2))
private let p99Both = GateCheck.latency(LatencyCheck(quantile: 0.99, max: SpecDuration(milliseconds: 250), maxIncreaseOverStable: 0.2))

@Suite("Gate verdicts: evidence to pass, fail or inconclusive")
struct GateVerdictTests {
    static let rollout = RolloutSpec(minRequests: 20)

    static func context(stable: String?) -> GateContext {
        GateContext(key: DeploymentKey(namespace: "ml-prod", name: "fraud"), modelName: "fraud-detector", canaryVersion: "13",
                    stableVersion: stable, canaryWeight: 25, stepIndex: 1, interval: .minutes(1))
    }

    @Test("each rule gives its verdict, value, threshold and reason", arguments: GateVerdictTests.cases)
    func judges(_ example: VerdictCase) {
        let gate = Gate(name: example.check.kind, check: example.check)
        let result = GateVerdict.evaluate(gate, rollout: Self.rollout, context: Self.context(stable: example.stableVersion),
                                          measurement: example.measurement)
        #expect(result.verdict == example.verdict)
        #expect(result.value == example.value)
        #expect(result.threshold == example.threshold)
        #expect(result.message == example.message)
        #expect(result.consecutiveFailures == 0)
    }

    static let cases: [VerdictCase] = [
        // successRate, absolute
        VerdictCase(name: "healthy canary passes", check: floor99,
                    measurement: GateMeasurement(value: 0.995, requests: 200), verdict: .pass, value: 0.995, threshold: ">= 0.99",
                    message: "200 requests over the last 1m"),
        VerdictCase(name: "exactly the floor passes", check: floor99,
                    measurement: GateMeasurement(value: 0.99, requests: 100), verdict: .pass, value: 0.99, threshold: ">= 0.99",
                    message: "100 requests over the last 1m"),
        VerdictCase(name: "5% errors fail a 0.99 floor", check: floor99,
                    measurement: GateMeasurement(value: 0.95, requests: 200), verdict: .fail, value: 0.95, threshold: ">= 0.99",
                    message: "200 requests over the last 1m"),
        VerdictCase(name: "every request failing is 0, a failure", check: floor99,
                    measurement: GateMeasurement(value: 0, requests: 40), verdict: .fail, value: 0, threshold: ">= 0.99",
                    message: "40 requests over the last 1m"),
        VerdictCase(name: "no data is inconclusive", check: floor99,
                    measurement: GateMeasurement(), verdict: .inconclusive, value: nil, threshold: ">= 0.99",
                    message: "no data: no request counts for version 13 over the last 1m; check that it receives traffic and that its metrics are scraped"),
        VerdictCase(name: "too few requests are inconclusive even when all succeeded", check: floor99,
                    measurement: GateMeasurement(value: 1, requests: 19.6), verdict: .inconclusive, value: 1, threshold: ">= 0.99",
                    message: "only 19.6 requests to version 13 over the last 1m, fewer than minRequests (20): too few to judge"),
        VerdictCase(name: "NaN is inconclusive", check: floor99,
                    measurement: GateMeasurement(value: .nan, requests: 50), verdict: .inconclusive, value: nil, threshold: ">= 0.99",
                    message: "the success rate of version 13 over the last 1m is NaN, not a number to judge"),
        VerdictCase(name: "requests without a rate are no data", check: floor99,
                    measurement: GateMeasurement(value: nil, requests: 50), verdict: .inconclusive, value: nil, threshold: ">= 0.99",
                    message: "no data: no success rate for version 13 over the last 1m; check that its metrics are scraped"),
        VerdictCase(name: "an unreachable Prometheus is inconclusive", check: floor99,
                    measurement: GateMeasurement(problem: "Prometheus at http://prometheus:9090 is unreachable: Connection refused"),
                    verdict: .inconclusive, value: nil, threshold: ">= 0.99",
                    message: "Prometheus at http://prometheus:9090 is unreachable: Connection refused"),

        // successRate, relative
        VerdictCase(name: "within the allowed drop from stable passes", check: relativeRate,
                    measurement: GateMeasurement(value: 0.99, requests: 100, stableValue: 1, stableRequests: 900),
                    verdict: .pass, value: 0.99, threshold: ">= 0.99 (stable 1 - 0.01)",
                    message: "100 requests over the last 1m; the stable version 12: 1 over 900 requests"),
        VerdictCase(name: "worse than stable by more than allowed fails", check: relativeRate,
                    measurement: GateMeasurement(value: 0.97, requests: 100, stableValue: 0.995, stableRequests: 900),
                    verdict: .fail, value: 0.97, threshold: ">= 0.985 (stable 0.995 - 0.01)",
                    message: "100 requests over the last 1m; the stable version 12: 0.995 over 900 requests"),
        VerdictCase(name: "a stable version without data makes a relative bound inconclusive", check: relativeRate,
                    measurement: GateMeasurement(value: 0.99, requests: 100),
                    verdict: .inconclusive, value: 0.99, threshold: ">= stable - 0.01",
                    message: "no data: no request counts for the stable version 12 over the last 1m; check that it receives traffic and that its metrics are scraped; cannot compare with it"),
        VerdictCase(name: "a stable version with too few requests is inconclusive", check: relativeRate,
                    measurement: GateMeasurement(value: 0.99, requests: 100, stableValue: 1, stableRequests: 3),
                    verdict: .inconclusive, value: 0.99, threshold: ">= stable - 0.01",
                    message: "only 3 requests to the stable version 12 over the last 1m, fewer than minRequests (20): too few to judge; cannot compare with it"),
        VerdictCase(name: "a first deployment passes a relative-only gate, saying why", check: relativeRate, stableVersion: nil,
                    measurement: GateMeasurement(), verdict: .pass, value: nil, threshold: ">= stable - 0.01",
                    message: "no stable version to compare with (a first deployment): the relative bound does not apply"),
        VerdictCase(name: "a first deployment still meets absolute bounds", check: bothRates, stableVersion: nil,
                    measurement: GateMeasurement(value: 0.97, requests: 100), verdict: .fail, value: 0.97, threshold: ">= 0.98",
                    message: "100 requests over the last 1m"),
        VerdictCase(name: "a first deployment passing its floor says the relative bound was skipped", check: bothRates, stableVersion: nil,
                    measurement: GateMeasurement(value: 0.985, requests: 100), verdict: .pass, value: 0.985, threshold: ">= 0.98",
                    message: "100 requests over the last 1m; no stable version to compare with, so only the absolute bound applies"),
        VerdictCase(name: "breaking the floor fails even when stable has no data", check: bothRates,
                    measurement: GateMeasurement(value: 0.9, requests: 100), verdict: .fail, value: 0.9, threshold: ">= 0.98",
                    message: "100 requests over the last 1m"),
        VerdictCase(name: "with both bounds holding, the tighter one is reported", check: bothRates,
                    measurement: GateMeasurement(value: 0.995, requests: 100, stableValue: 0.999, stableRequests: 100),
                    verdict: .pass, value: 0.995, threshold: ">= 0.989 (stable 0.999 - 0.01)",
                    message: "100 requests over the last 1m; the stable version 12: 0.999 over 100 requests"),
        VerdictCase(name: "with both bounds, a canary below the stable allowance fails", check: bothRates,
                    measurement: GateMeasurement(value: 0.982, requests: 100, stableValue: 1, stableRequests: 100),
                    verdict: .fail, value: 0.982, threshold: ">= 0.99 (stable 1 - 0.01)",
                    message: "100 requests over the last 1m; the stable version 12: 1 over 100 requests"),

        // latency
        VerdictCase(name: "p99 under max passes", check: p99Under250,
                    measurement: GateMeasurement(value: 180.0004, requests: 100), verdict: .pass, value: 180, threshold: "<= 250ms",
                    message: "100 requests over the last 1m"),
        VerdictCase(name: "p99 over max fails", check: p99Under250,
                    measurement: GateMeasurement(value: 310, requests: 100), verdict: .fail, value: 310, threshold: "<= 250ms",
                    message: "100 requests over the last 1m"),
        VerdictCase(name: "an empty histogram's NaN is inconclusive", check: p99Under250,
                    measurement: GateMeasurement(value: .nan, requests: 25), verdict: .inconclusive, value: nil, threshold: "<= 250ms",
                    message: "the latency of version 13 over the last 1m is NaN, not a number to judge"),
        VerdictCase(name: "latency over too few requests is inconclusive", check: p99Under250,
                    measurement: GateMeasurement(value: 900, requests: 0), verdict: .inconclusive, value: 900, threshold: "<= 250ms",
                    message: "only 0 requests to version 13 over the last 1m, fewer than minRequests (20): too few to judge"),
        VerdictCase(name: "latency within the allowed increase over stable passes", check: p99Relative,
                    measurement: GateMeasurement(value: 216, requests: 100, stableValue: 180, stableRequests: 400),
                    verdict: .pass, value: 216, threshold: "<= 216ms (stable 180ms + 20%)",
                    message: "100 requests over the last 1m; the stable version 12: 180ms over 400 requests"),
        VerdictCase(name: "latency more than the allowed increase over stable fails", check: p99Relative,
                    measurement: GateMeasurement(value: 240, requests: 100, stableValue: 180, stableRequests: 400),
                    verdict: .fail, value: 240, threshold: "<= 216ms (stable 180ms + 20%)",
                    message: "100 requests over the last 1m; the stable version 12: 180ms over 400 requests"),
        VerdictCase(name: "a stable latency of NaN is inconclusive", check: p99Relative,
                    measurement: GateMeasurement(value: 100, requests: 100, stableValue: .nan, stableRequests: 400),
                    verdict: .inconclusive, value: 100, threshold: "<= stable + 20%",
                    message: "the latency of the stable version 12 over the last 1m is NaN, not a number to judge; cannot compare with it"),
        VerdictCase(name: "with both latency bounds, max is reported when tighter", check: p99Both,
                    measurement: GateMeasurement(value: 230, requests: 100, stableValue: 300, stableRequests: 400),
                    verdict: .pass, value: 230, threshold: "<= 250ms",
                    message: "100 requests over the last 1m; the stable version 12: 300ms over 400 requests"),
        VerdictCase(name: "with both latency bounds, max fails first", check: p99Both,
                    measurement: GateMeasurement(value: 260, requests: 100, stableValue: 300, stableRequests: 400),
                    verdict: .fail, value: 260, threshold: "<= 250ms",
                    message: "100 requests over the last 1m"),

        // prometheus
        VerdictCase(name: "a query value within bounds passes", check: .prometheus(query: "q", min: nil, max: 0.2),
                    measurement: GateMeasurement(value: 0.1), verdict: .pass, value: 0.1, threshold: "<= 0.2", message: nil),
        VerdictCase(name: "a query value outside bounds fails", check: .prometheus(query: "q", min: 0.1, max: 0.2),
                    measurement: GateMeasurement(value: 0.25), verdict: .fail, value: 0.25, threshold: "within 0.1..0.2", message: nil),
        VerdictCase(name: "a query without series is inconclusive", check: .prometheus(query: "q", min: nil, max: 0.2),
                    measurement: GateMeasurement(), verdict: .inconclusive, value: nil, threshold: "<= 0.2",
                    message: "no data: the query returned no series; check its metric names and labels"),
        VerdictCase(name: "a query answering +Inf is inconclusive", check: .prometheus(query: "q", min: nil, max: 0.2),
                    measurement: GateMeasurement(value: .infinity), verdict: .inconclusive, value: nil, threshold: "<= 0.2",
                    message: "the query returned +Inf, not a number to judge"),
        VerdictCase(name: "a refused query is inconclusive with the server's words", check: .prometheus(query: "q", min: nil, max: 0.2),
                    measurement: GateMeasurement(problem: "Prometheus refused the query as invalid (bad_data): parse error"),
                    verdict: .inconclusive, value: nil, threshold: "<= 0.2",
                    message: "Prometheus refused the query as invalid (bad_data): parse error"),

        // webhook
        VerdictCase(name: "a 2xx answer passes", check: .webhook(url: "http://h/x", timeout: .seconds(5), metadata: [:]),
                    measurement: GateMeasurement(httpStatus: 204), verdict: .pass, value: nil, threshold: "2xx within 5s", message: "HTTP 204"),
        VerdictCase(name: "a 500 answer fails with what it said", check: .webhook(url: "http://h/x", timeout: .seconds(5), metadata: [:]),
                    measurement: GateMeasurement(httpStatus: 500, detail: "golden image 7 misclassified"), verdict: .fail, value: nil,
                    threshold: "2xx within 5s", message: "HTTP 500: golden image 7 misclassified"),
        VerdictCase(name: "no answer in time is inconclusive", check: .webhook(url: "http://h/x", timeout: .seconds(5), metadata: [:]),
                    measurement: GateMeasurement(problem: "the webhook did not answer within 5s"), verdict: .inconclusive, value: nil,
                    threshold: "2xx within 5s", message: "the webhook did not answer within 5s"),
    ]

    @Test func theQueryIsRecordedWithTheResult() {
        let gate = Gate(name: "successRate", check: floor99)
        let result = GateVerdict.evaluate(gate, rollout: Self.rollout, context: Self.context(stable: "12"),
                                          measurement: GateMeasurement(value: 1, requests: 100, query: "the canary's query"))
        #expect(result.query == "the canary's query")
        #expect(result.statistic == nil)
        let latency = GateVerdict.evaluate(Gate(name: "latency", check: p99Under250), rollout: Self.rollout,
                                           context: Self.context(stable: "12"), measurement: GateMeasurement(value: 1, requests: 100))
        #expect(latency.label == "latency p99")
        #expect(latency.valueText == "1ms")
    }

    @Test func minRequestsZeroStillNeedsANumber() {
        let gate = Gate(name: "successRate", check: floor99)
        let result = GateVerdict.evaluate(gate, rollout: RolloutSpec(minRequests: 0), context: Self.context(stable: "12"),
                                          measurement: GateMeasurement(value: .nan, requests: 0))
        #expect(result.verdict == .inconclusive)
    }

    @Test func theLedgerStatesAFailedRelativeBoundAsItsOpposite() {
        let gate = Gate(name: "successRate", check: relativeRate)
        let result = GateVerdict.evaluate(gate, rollout: Self.rollout, context: Self.context(stable: "12"),
                                          measurement: GateMeasurement(value: 0.97, requests: 100, stableValue: 0.995, stableRequests: 900))
        #expect(LedgerCommitMessage.gateLine(result) ==
            "successRate: 0.97 < 0.985 (stable 0.995 - 0.01) fail; 100 requests over the last 1m; the stable version 12: 0.995 over 900 requests")
    }
}

@Suite("Webhook payload: what a webhook gate sends")
struct WebhookPayloadTests {
    @Test func theBodyDescribesTheRolloutInAFixedOrder() {
        let context = GateContext(key: DeploymentKey(namespace: "ml-prod", name: "fraud"), modelName: "fraud-detector",
                                  canaryVersion: "13", stableVersion: "12", canaryWeight: 25, stepIndex: 1, interval: .minutes(2))
        let webhook = WebhookCheck(url: "https://h/x", metadata: ["suite": "golden", "b": "\"quoted\""])
        let body = String(decoding: WebhookPayload.body(gate: "smoke", webhook: webhook, context: context), as: UTF8.self)
        #expect(body == #"{"apiVersion":"serin.dev/v1alpha1","kind":"GateCheck","gate":"smoke","model":"fraud-detector","namespace":"ml-prod","name":"fraud","canaryVersion":"13","stableVersion":"12","weight":25,"step":1,"interval":"2m","metadata":{"b":"\"quoted\"","suite":"golden"}}"#)
    }

    @Test func aFirstDeploymentSendsNullForTheStableVersion() {
        let context = GateContext(key: DeploymentKey(namespace: "ml", name: "iris"), modelName: "iris", canaryVersion: "1",
                                  stableVersion: nil, canaryWeight: 100, stepIndex: nil, interval: .minutes(1))
        let body = String(decoding: WebhookPayload.body(gate: "w", webhook: WebhookCheck(url: "http://h/x"), context: context), as: UTF8.self)
        #expect(body.contains(#""stableVersion":null,"weight":100,"step":null"#))
        #expect(body.hasSuffix(#""metadata":{}}"#))
    }
}
