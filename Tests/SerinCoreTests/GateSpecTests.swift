import Foundation
import SerinCore
import Testing

/// The minimal document with `rollout` lines appended under `spec`.
private func document(rollout: String) -> String {
    minimalDocument + "\n  rollout:\n" + rollout.split(separator: "\n", omittingEmptySubsequences: false)
        .map { "    " + $0 }.joined(separator: "\n") + "\n"
}

private func rollout(_ lines: String) throws -> RolloutSpec {
    let decoding = decode(document(rollout: lines))
    #expect(decoding.diagnostics.isEmpty, "\(decoding.diagnostics.map(located))")
    return try #require(decoding.state.deployments.first?.spec.rollout)
}

private func errors(_ lines: String) -> [String] {
    let decoding = decode(document(rollout: lines))
    #expect(!decoding.isValid)
    return decoding.diagnostics.map(located)
}

@Suite("Gate spec: relative bounds, metrics sources and signed webhooks")
struct GateSpecTests {
    // MARK: Valid

    @Test func successRateMayBeRelativeToTheStableVersionAloneOrWithAFloor() throws {
        let spec = try rollout("""
            gates:
              - successRate: {relativeTo: stable, maxDrop: 0.01}
              - successRate: {name: both, min: 0.99, relativeTo: stable, maxDrop: 0.02}
            """)
        #expect(spec.gates == [
            Gate(name: "successRate", check: .successRate(SuccessRateCheck(maxDropFromStable: 0.01))),
            Gate(name: "both", check: .successRate(SuccessRateCheck(min: 0.99, maxDropFromStable: 0.02))),
        ])
    }

    @Test func latencyMayBeRelativeToTheStableVersionAloneOrWithACeiling() throws {
        let spec = try rollout("""
            gates:
              - latency: {quantile: 0.95, relativeTo: stable, maxIncrease: 0.2}
              - latency: {name: both, max: 250ms, relativeTo: stable, maxIncrease: 1.5}
            """)
        #expect(spec.gates == [
            Gate(name: "latency", check: .latency(LatencyCheck(quantile: 0.95, maxIncreaseOverStable: 0.2))),
            Gate(name: "both", check: .latency(LatencyCheck(quantile: 0.99, max: SpecDuration(milliseconds: 250), maxIncreaseOverStable: 1.5))),
        ])
    }

    @Test func theMetricsSourceDefaultsToSerinsRouter() throws {
        #expect(try rollout("interval: 1m").metrics == .serin)
        #expect(RolloutSpec().metrics == .serin)
    }

    @Test(arguments: [("serin", MetricsSource.serin), ("mlserver", .mlserver), ("torchserve", .torchserve), ("istio", .istio)])
    func builtInSourcesAreNamed(_ name: String, _ source: MetricsSource) throws {
        #expect(try rollout("metrics: {source: \(name)}").metrics == source)
    }

    @Test func customTemplatesAreKeptAsWritten() throws {
        let spec = try rollout(#"""
            metrics:
              source: custom
              requests: 'sum(increase(http_requests_total{app="{{name}}",ns="{{namespace}}",v="{{ version }}"}[{{interval}}]))'
              successRate: 'sum(rate(ok_total{v="{{version}}",m="{{model}}"}[{{interval}}])) / sum(rate(all_total{v="{{version}}"}[{{interval}}]))'
              latency: 'histogram_quantile({{quantile}}, sum by (le) (rate(d_bucket{v="{{version}}"}[{{interval}}])))'
            gates:
              - successRate: {min: 0.99}
              - latency: {max: 250ms}
            """#)
        #expect(spec.metrics == .custom(CustomMetricTemplates(
            requests: #"sum(increase(http_requests_total{app="{{name}}",ns="{{namespace}}",v="{{ version }}"}[{{interval}}]))"#,
            successRate: #"sum(rate(ok_total{v="{{version}}",m="{{model}}"}[{{interval}}])) / sum(rate(all_total{v="{{version}}"}[{{interval}}]))"#,
            latency: #"histogram_quantile({{quantile}}, sum by (le) (rate(d_bucket{v="{{version}}"}[{{interval}}])))"#)))
    }

    @Test func templatesWithoutASourceMeanCustom() throws {
        let spec = try rollout(#"metrics: {requests: 'sum(x{v="{{version}}"})'}"#)
        #expect(spec.metrics == .custom(CustomMetricTemplates(requests: #"sum(x{v="{{version}}"})"#)))
    }

    @Test func webhookSecretsComeFromAFileOrAnEnvironmentVariable() throws {
        let spec = try rollout("""
            gates:
              - webhook: {name: a, url: "https://hooks.example/a", secret: {file: /var/run/secrets/serin/a}}
              - webhook: {name: b, url: "https://hooks.example/b", secret: {env: SERIN_HOOK_B}}
            """)
        #expect(spec.gates == [
            Gate(name: "a", check: .webhook(WebhookCheck(url: "https://hooks.example/a", secret: .file("/var/run/secrets/serin/a")))),
            Gate(name: "b", check: .webhook(WebhookCheck(url: "https://hooks.example/b", secret: .environment("SERIN_HOOK_B")))),
        ])
    }

    @Test func newFieldsRoundTripThroughShowDefaults() throws {
        let yaml = document(rollout: #"""
            metrics:
              requests: 'sum(increase(r{v="{{version}}"}[{{interval}}]))'
              successRate: 'sum(increase(ok{v="{{version}}"}[{{interval}}])) / sum(increase(r{v="{{version}}"}[{{interval}}]))'
            gates:
              - successRate: {min: 0.99, relativeTo: stable, maxDrop: 0.01}
              - webhook: {name: smoke, url: "https://hooks.example/smoke", secret: {env: HOOK_KEY}, metadata: {suite: golden}}
            """#)
        let first = try #require(decode(yaml).state.deployments.first)
        let written = YAMLWriter.write(first.yamlValue)
        #expect(written.contains("    metrics:\n      source: custom\n"))
        #expect(written.contains("relativeTo: stable"))
        #expect(written.contains("env: HOOK_KEY"))
        let second = decode(written)
        #expect(second.diagnostics.isEmpty, "\(second.diagnostics.map(located))")
        #expect(second.state.deployments.first == first)
    }

    @Test func plansNameAChangedMetricsSourceAndDescribeRelativeBounds() {
        let before = modelDocument("iris", rollout: "  rollout: {gates: [{successRate: {min: 0.99}}]}")
        let after = modelDocument("iris", rollout: """
              rollout:
                metrics: {source: istio}
                gates: [{successRate: {min: 0.99}}]
            """)
        #expect(changeLines(plan(from: repository(before), to: repository(after))) == ["ml/iris: reconfigured spec.rollout.metrics"])

        let newVersion = modelDocument("iris", version: "2", rollout: """
              rollout:
                metrics: {source: istio}
                gates:
                  - successRate: {min: 0.99, relativeTo: stable, maxDrop: 0.01}
                  - latency: {quantile: 0.95, relativeTo: stable, maxIncrease: 0.25}
            """)
        #expect(changeLines(plan(from: repository(after), to: repository(newVersion))) == [
            "ml/iris: new version 1 → 2 (canary 10% → 25% → 50% → 100%, every 1m, gates: successRate ≥ 0.99 and ≥ stable − 0.01, latency p95 ≤ stable + 25% (metrics: istio)), also changes spec.rollout.gates",
        ])
    }

    @Test func thresholdsStateRelativeBoundsWithoutALeadingComparisonWhenThereAreTwo() {
        let both = Gate(name: "s", check: .successRate(SuccessRateCheck(min: 0.99, maxDropFromStable: 0.01)))
        #expect(both.threshold == "both >= 0.99 and >= stable - 0.01")
        let relative = Gate(name: "l", check: .latency(LatencyCheck(quantile: 0.99, maxIncreaseOverStable: 0.2)))
        #expect(relative.threshold == "<= stable + 20%")
    }

    // MARK: Invalid

    @Test func aSuccessRateGateNeedsABound() {
        #expect(errors("gates: [{successRate: {name: s}}]") == [
            "12:27: error: spec.rollout.gates[0].successRate: found neither min nor relativeTo, expected min (the lowest acceptable success rate, a fraction such as 0.99), relativeTo: stable with maxDrop, or both",
        ])
    }

    @Test func relativeToNeedsItsAllowance() {
        #expect(errors("gates: [{successRate: {relativeTo: stable}}]") == [
            #"12:27: error: spec.rollout.gates[0].successRate: missing required field "maxDrop", expected the largest drop below the stable version's rate, a fraction from 0 to 1 such as 0.01"#,
        ])
        #expect(errors("gates: [{latency: {relativeTo: stable, maxIncrease: 20}}]") == [
            "12:57: error: spec.rollout.gates[0].latency.maxIncrease: found 20, expected the largest increase over the stable version's latency, a fraction from 0 to 10 such as 0.2 for 20% slower; did you mean 0.2? maxIncrease is a fraction of the stable version's latency: divide by 100",
        ])
    }

    @Test func anAllowanceNeedsRelativeTo() {
        #expect(errors("gates: [{successRate: {min: 0.99, maxDrop: 0.01}}]") == [
            "12:39: error: spec.rollout.gates[0].successRate.maxDrop: found maxDrop without relativeTo, expected relativeTo: stable beside it; add relativeTo: stable, or remove maxDrop",
        ])
    }

    @Test func onlyTheStableVersionIsABaseline() {
        #expect(errors("gates: [{successRate: {relativeTo: stabel, maxDrop: 0.01}}]") == [
            #"12:40: error: spec.rollout.gates[0].successRate.relativeTo: found "stabel", expected one of stable; did you mean "stable"?"#,
        ])
    }

    @Test func recreateHasNoStableVersionToCompareWith() {
        #expect(errors("strategy: recreate\ngates: [{latency: {max: 1s, relativeTo: stable, maxIncrease: 0.2}}]") == [
            "13:33: error: spec.rollout.gates[0].latency.relativeTo: found relativeTo, expected none: strategy recreate stops the stable version before the new one starts, so no stable traffic runs beside it to compare with; hold the version to absolute bounds, or use strategy canary",
        ])
    }

    @Test func sourcesWithoutQuantilesRefuseLatencyGates() {
        #expect(errors("metrics: {source: mlserver}\ngates: [{latency: {max: 250ms}}]") == [
            "13:14: error: spec.rollout.gates[0].latency: metrics source mlserver cannot measure latency: MLServer records model_infer_request_duration as a summary without quantiles; use source serin or istio, whose histograms give quantiles, or source custom with a latency template",
        ])
        #expect(errors("metrics: {source: torchserve}\ngates: [{latency: {max: 250ms}}]") == [
            "13:14: error: spec.rollout.gates[0].latency: metrics source torchserve cannot measure latency: TorchServe only adds latency up (ts_inference_latency_microseconds is a counter), which gives no quantile; use source serin or istio, whose histograms give quantiles, or source custom with a latency template",
        ])
    }

    @Test func customSourcesNeedATemplateForEachKindOfGate() {
        #expect(errors(#"metrics: {requests: 'sum(r{v="{{version}}"})'}"# + "\ngates: [{successRate: {min: 0.9}}]") == [
            "13:14: error: spec.rollout.gates[0].successRate: metrics source custom cannot measure successRate: metrics.successRate is not set; add a successRate template to spec.rollout.metrics",
        ])
        #expect(errors("metrics: {source: custom}") == [
            #"12:14: error: spec.rollout.metrics: missing required field "requests", expected a PromQL template for the number of requests a version received, such as sum(increase(http_requests_total{version="{{version}}"}[{{interval}}]))"#,
        ])
    }

    @Test func templatesBelongToCustomSourcesOnly() {
        #expect(errors(#"metrics: {source: istio, requests: 'sum(r{v="{{version}}"})'}"#) == [
            "12:30: error: spec.rollout.metrics.requests: found requests, expected none: templates apply only to source custom, and source is istio; remove requests, or set source: custom",
        ])
    }

    @Test func unknownSourcesAreSuggestedTheClosest() {
        #expect(errors("metrics: {source: mlsever}") == [
            #"12:23: error: spec.rollout.metrics.source: found "mlsever", expected one of serin, mlserver, torchserve, istio, custom; did you mean "mlserver"?"#,
        ])
    }

    @Test func templatePlaceholdersAreCheckedWhereTheyAreWritten() {
        #expect(errors(#"metrics: {requests: 'sum(r{v="{{verison}}"}[{{interval}}])'}"#) == [
            #"12:25: error: spec.rollout.metrics.requests: unknown placeholder {{verison}}, expected one of {{namespace}}, {{name}}, {{model}}, {{version}}, {{interval}}, {{quantile}}; did you mean {{version}}?"#,
        ])
        #expect(errors(#"metrics: {requests: 'sum(r{app="{{name}}"}[{{interval}}])'}"#) == [
            #"12:25: error: spec.rollout.metrics.requests: found no {{version}} placeholder, expected the requests template to select one version's series: without it the canary and the stable version measure the same traffic"#,
        ])
        #expect(errors(#"metrics: {requests: 'sum(r{v="{{version}}"})', latency: 'histogram_quantile(0.99, d{v="{{version}}"})'}"#) == [
            #"12:61: error: spec.rollout.metrics.latency: found no {{quantile}} placeholder, expected the latency template to take the gate's quantile, as in histogram_quantile({{quantile}}, ...)"#,
        ])
        #expect(errors(#"metrics: {requests: 'quantile({{quantile}}, r{v="{{version}}"})'}"#) == [
            #"12:25: error: spec.rollout.metrics.requests: found {{quantile}} in the requests template, expected it only in the latency template"#,
        ])
        #expect(errors(#"metrics: {requests: 'sum(r{v="{{version}"})'}"#) == [
            #"12:25: error: spec.rollout.metrics.requests: found the string "sum(r{v=\"{{version}\"})", expected every {{ closed by }}"#,
        ])
    }

    @Test func anInlineWebhookSecretIsRefusedWithoutBeingRepeated() {
        let reported = errors(#"gates: [{webhook: {url: "https://hooks.example/x", secret: hunter2-signing-key}}]"#)
        #expect(reported == [
            "12:64: error: spec.rollout.gates[0].webhook.secret: found an inline value, expected a mapping with file or env naming where the signing key is kept: the key itself never goes in Git; put the key in a file or an environment variable of Serin, name it here (secret: {file: /var/run/secrets/serin/webhook}), and rotate it: it is in the repository's history now",
        ])
        #expect(!reported.joined().contains("hunter2"))
    }

    @Test func aWebhookSecretNamesExactlyOnePlace() {
        #expect(errors(#"gates: [{webhook: {url: "https://h.example/x", secret: {file: /k, env: K}}}]"#) == [
            "12:71: error: spec.rollout.gates[0].webhook.secret: found both file and env, expected exactly one place for the key",
        ])
        #expect(errors(#"gates: [{webhook: {url: "https://h.example/x", secret: {file: keys/hook}}}]"#) == [
            #"12:67: error: spec.rollout.gates[0].webhook.secret.file: found "keys/hook", expected an absolute file path"#,
        ])
        #expect(errors(#"gates: [{webhook: {url: "https://h.example/x", secret: {}}}]"#) == [
            "12:60: error: spec.rollout.gates[0].webhook.secret: found neither file nor env, expected a mapping with file or env naming where the signing key is kept",
        ])
    }
}

@Suite("The README's spec reference")
struct ReadmeSpecTests {
    @Test func theReferenceDocumentIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## The ModelDeployment").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        let decoding = decode(block)
        #expect(decoding.diagnostics.map(located) == [])
        let rollout = try #require(decoding.state.deployments.first?.spec.rollout)
        #expect(rollout.metrics == .serin)
        #expect(rollout.gates.count == 6)
    }
}
