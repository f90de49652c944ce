import SerinCore
import Testing

@Suite("Rollout status files")
struct RolloutStatusTests {
    private func decodeStatus(_ text: String) -> Result<RolloutStatus, RolloutStatusFileError> {
        RolloutStatus.decode(Array(text.utf8), file: "status/ml-prod/fraud-detector.yaml")
    }

    private func errors(_ text: String) -> [String] {
        guard case .failure(let error) = decodeStatus(text) else { return [] }
        return error.diagnostics.map(located)
    }

    private let minimalStatus = """
    apiVersion: serin.dev/v1alpha1
    kind: RolloutStatus
    metadata: {name: iris, namespace: ml}
    status:
      phase: Pending
      canaryWeight: 0
      desiredCommit: 1a2b3c4
      startedAt: 2026-11-29T02:20:52Z
      updatedAt: 2026-11-29T02:20:52Z

    """

    @Test func writesEveryFieldInAFixedOrder() {
        #expect(progressingStatus.yaml == #"""
        apiVersion: serin.dev/v1alpha1
        kind: RolloutStatus
        metadata:
          name: fraud-detector
          namespace: ml-prod
        status:
          phase: Progressing
          stableVersion: "12"
          canaryVersion: "13"
          canaryWeight: 25
          stepIndex: 1
          desiredCommit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
          reason: Gates passed for 2m at 10%; moving to 25%.
          startedAt: "2026-11-29T02:18:52Z"
          updatedAt: "2026-11-29T02:20:52Z"
          gates:
            - name: successRate
              verdict: pass
              value: 0.995
              threshold: ">= 0.99"
              consecutiveFailures: 0
            - name: latency
              statistic: p99
              verdict: fail
              value: 310.0
              unit: ms
              threshold: <= 250ms
              consecutiveFailures: 2
            - name: drift
              verdict: inconclusive
              threshold: <= 0.2
              query: max(model_feature_drift{model="fraud-detector"})
              message: the query returned no samples
              consecutiveFailures: 0

        """#)
    }

    @Test func roundTripsThroughItsYAML() throws {
        #expect(try decodeStatus(progressingStatus.yaml).get() == progressingStatus)
    }

    @Test func roundTripsWithOptionalFieldsAbsent() throws {
        let status = RolloutStatus(key: fraudDetector, phase: .Pending, desiredCommit: desiredSHA,
                                   startedAt: transitionTime, updatedAt: transitionTime)
        #expect(!status.yaml.contains("stableVersion"))
        #expect(try decodeStatus(status.yaml).get() == status)
    }

    @Test func roundTripsAwkwardText() throws {
        var status = progressingStatus
        status.reason = "line one\nline two: \"quoted\" # not a comment\t"
        status.gates[0].message = "null"
        status.stableVersion = "1.10"
        status.canaryVersion = "true"
        #expect(try decodeStatus(status.yaml).get() == status)
    }

    @Test func storesANonFiniteMeasurementAsNoData() throws {
        var status = progressingStatus
        status.gates[0].value = .nan
        let decoded = try decodeStatus(status.yaml).get()
        #expect(decoded.gates[0].value == nil)
    }

    @Test func readsAMinimalFileWithDefaults() throws {
        let status = try decodeStatus(minimalStatus).get()
        #expect(status.key == DeploymentKey(namespace: "ml", name: "iris"))
        #expect(status.phase == .Pending)
        #expect(status.reason == "")
        #expect(status.gates.isEmpty)
        #expect(status.stableVersion == nil)
        #expect(status.updatedAt == transitionTime)
    }

    @Test func ignoresUnknownFieldsForForwardCompatibility() throws {
        let text = minimalStatus.replacingFirst("  phase: Pending", with: "  phase: Pending\n  trafficSplit: {a: 1}")
            + "extra: true\n"
        #expect(try decodeStatus(text).get() == decodeStatus(minimalStatus).get())
    }

    @Test func reportsMalformedYAMLWithItsPosition() {
        #expect(errors("apiVersion: serin.dev/v1alpha1\nstatus: [unclosed\n") == [
            "3:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 9)",
        ])
    }

    @Test func reportsAnEmptyFile() {
        #expect(errors("") == ["1:1: error: found an empty file, expected a RolloutStatus"])
    }

    @Test func reportsASecondDocument() {
        #expect(errors(minimalStatus + "---\n" + minimalStatus) == [
            "11:1: error: found a second document, expected one RolloutStatus per file",
        ])
    }

    @Test func reportsMissingFieldsAtTheirMapping() {
        let text = minimalStatus.replacingFirst("  desiredCommit: 1a2b3c4\n", with: "")
        #expect(errors(text) == [#"5:3: error: status: missing required field "desiredCommit", expected a commit's object name of 4 to 64 lowercase hexadecimal digits"#])
    }

    @Test func reportsEveryWrongValueWithLineAndColumn() {
        let text = minimalStatus
            .replacingFirst("kind: RolloutStatus", with: "kind: ModelDeployment")
            .replacingFirst("phase: Pending", with: "phase: progressing")
            .replacingFirst("canaryWeight: 0", with: "canaryWeight: 150")
            .replacingFirst("startedAt: 2026-11-29T02:20:52Z", with: "startedAt: yesterday")
        #expect(errors(text) == [
            "2:7: error: kind: found \"ModelDeployment\", expected RolloutStatus",
            "5:10: error: status.phase: found \"progressing\", expected one of Pending, Progressing, AwaitingApproval, Promoting, Succeeded, RollingBack, Failed, Removed; did you mean \"Progressing\"?",
            "6:17: error: status.canaryWeight: found 150, expected a whole percentage from 0 to 100",
            "8:14: error: status.startedAt: found \"yesterday\", expected an RFC 3339 time such as 2026-11-29T02:20:52Z",
        ])
    }

    @Test func refusesAnotherAPIVersion() {
        #expect(errors(minimalStatus.replacingFirst("v1alpha1", with: "v2")) == [
            "1:13: error: apiVersion: found \"serin.dev/v2\", expected serin.dev/v1alpha1",
        ])
    }

    @Test func reportsAMalformedGateResult() {
        let text = minimalStatus + "  gates:\n    - {name: latency, verdict: failed, value: \"310\", threshold: \"<= 250ms\"}\n"
        #expect(errors(text) == [
            "11:32: error: status.gates[0].verdict: found \"failed\", expected one of pass, fail, inconclusive; did you mean \"fail\"?",
            "11:47: error: status.gates[0].value: found the string \"310\", expected a number; remove the quotes: a quoted value is a string",
        ])
    }

    @Test func placesEachModelsFileUnderStatus() {
        #expect(RolloutStatus.path(for: fraudDetector) == "status/ml-prod/fraud-detector.yaml")
    }

    @Test func theRolloutVersionIsTheCanaryWhileThereIsOne() {
        var status = progressingStatus
        #expect(status.rolloutVersion == "13")
        status.canaryVersion = nil
        #expect(status.rolloutVersion == "12")
    }
}

@Suite("Gate results")
struct GateResultTests {
    private let gates = [
        Gate(name: "successRate", check: .successRate(min: 0.99)),
        Gate(name: "latency", check: .latency(quantile: 0.999, max: .seconds(1))),
        Gate(name: "drift", check: .prometheus(query: "q", min: 0.1, max: 0.2)),
        Gate(name: "errors", check: .prometheus(query: "q", min: nil, max: 5)),
        Gate(name: "smoke", check: .webhook(url: "http://smoke/run", timeout: .seconds(30), metadata: [:])),
    ]

    @Test func takesThresholdsFromTheGateSpec() {
        #expect(gates.map(\.threshold) == [">= 0.99", "<= 1000ms", "within 0.1..0.2", "<= 5", "2xx within 30s"])
    }

    @Test func namesTheLatencyQuantileAsAPercentile() {
        #expect(gates.map(\.statistic) == [nil, "p99.9", nil, nil, nil])
        #expect(Gate(name: "l", check: .latency(quantile: 0.99, max: .seconds(1))).statistic == "p99")
        #expect(Gate(name: "l", check: .latency(quantile: 0.5, max: .seconds(1))).statistic == "p50")
    }

    @Test func fillsInStatisticUnitThresholdAndQueryFromTheGate() {
        let result = GateResult(gate: gates[1], verdict: .fail, value: 1200, consecutiveFailures: 1)
        #expect(result == GateResult(name: "latency", statistic: "p99.9", verdict: .fail, value: 1200, unit: "ms",
                                     threshold: "<= 1000ms", consecutiveFailures: 1))
        #expect(GateResult(gate: gates[2], verdict: .pass, value: 0.15).query == "q")
    }

    @Test func printsValuesWithTheirUnit() {
        #expect(GateResult(gate: gates[1], verdict: .pass, value: 180).valueText == "180ms")
        #expect(GateResult(gate: gates[0], verdict: .pass, value: 0.995).valueText == "0.995")
        #expect(GateResult(gate: gates[0], verdict: .inconclusive, value: nil).valueText == nil)
    }
}
