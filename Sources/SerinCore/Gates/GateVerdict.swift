/// Judges one gate check: a pure function from the gate, the rollout spec, what the check was about and what was
/// measured, to the `GateResult` recorded in status files and the ledger.
///
/// The rules, in order:
/// 1. A measurement problem (metrics unreachable, a query Prometheus refused, a webhook that never answered) is
///    inconclusive, with the problem as the message.
/// 2. Metric gates (successRate, latency) need evidence: no data, fewer requests than `minRequests`, or a value
///    that is not a finite number (NaN from 0/0) are inconclusive, never a pass.
/// 3. Absolute bounds (`min`, `max`) are checked first; breaking one fails the check whatever the stable version
///    did, because that is evidence enough.
/// 4. Relative bounds (`relativeTo: stable`) compare with the stable version over the same interval; the stable
///    side needs the same evidence as the canary, or the check is inconclusive. With no stable version at all (a
///    first deployment) there is nothing to compare with, so the relative bound does not apply: absolute bounds
///    still do, and a gate with only a relative bound passes, saying so.
/// 5. A webhook passes on 2xx and fails on any other answer.
///
/// Values are compared as reported: rates rounded to 6 decimals, latencies to the microsecond, so a report never
/// says `0.99 < 0.99`, and `1 - 0.01` is exactly the bound `0.99` a person would expect. `consecutiveFailures`
/// stays 0: streaks are the rollout's to count.
public enum GateVerdict {
    public static func evaluate(_ gate: Gate, rollout: RolloutSpec, context: GateContext,
                                measurement: GateMeasurement) -> GateResult {
        var result: GateResult
        switch gate.check {
        case .successRate(let rate):
            result = judgeSuccessRate(gate, rate, rollout: rollout, context: context, measurement: measurement)
        case .latency(let latency):
            result = judgeLatency(gate, latency, rollout: rollout, context: context, measurement: measurement)
        case .prometheus(_, let min, let max):
            result = judgePrometheus(gate, min: min, max: max, measurement: measurement)
        case .webhook:
            result = judgeWebhook(gate, measurement: measurement)
        }
        if result.query == nil { result.query = measurement.query }
        return result
    }

    // MARK: successRate and latency

    /// What differs between the two metric gates: how values are rounded, written and compared.
    private struct Scale: Sendable {
        var noun: String
        var unit: String
        /// Values are rounded to multiples of 1/resolution.
        var resolution: Double
        /// Whether a bound is of the kind "at least" (success rate) or "at most" (latency).
        var atLeast: Bool

        func round(_ value: Double) -> Double { (value * resolution).rounded() / resolution }
    }

    private static let rateScale = Scale(noun: "success rate", unit: "", resolution: 1e6, atLeast: true)
    private static let latencyScale = Scale(noun: "latency", unit: "ms", resolution: 1e3, atLeast: false)

    private static func judgeSuccessRate(_ gate: Gate, _ rate: SuccessRateCheck, rollout: RolloutSpec, context: GateContext,
                                         measurement: GateMeasurement) -> GateResult {
        let relative = rate.maxDropFromStable.map { drop in
            RelativeBound(bound: { stable in stable - drop }, describe: { "stable \(NumberText.of($0)) - \(NumberText.of(drop))" })
        }
        return judgeMetric(gate, absolute: rate.min, relative: relative, scale: rateScale, rollout: rollout,
                           context: context, measurement: measurement)
    }

    private static func judgeLatency(_ gate: Gate, _ latency: LatencyCheck, rollout: RolloutSpec, context: GateContext,
                                     measurement: GateMeasurement) -> GateResult {
        let relative = latency.maxIncreaseOverStable.map { increase in
            RelativeBound(bound: { stable in stable * (1 + increase) },
                          describe: { "stable \(NumberText.of($0))ms + \(Gate.percent(increase))" })
        }
        return judgeMetric(gate, absolute: latency.max.map { Double($0.milliseconds) }, relative: relative,
                           scale: latencyScale, rollout: rollout, context: context, measurement: measurement)
    }

    private struct RelativeBound {
        /// The bound derived from the stable version's value.
        var bound: (Double) -> Double
        /// How the bound came about, given the stable value: `stable 0.995 - 0.01`.
        var describe: (Double) -> String
    }

    private static func judgeMetric(_ gate: Gate, absolute: Double?, relative: RelativeBound?, scale: Scale,
                                    rollout: RolloutSpec, context: GateContext, measurement: GateMeasurement) -> GateResult {
        let canary = "version \(context.canaryVersion)"
        let window = "over the last \(context.interval)"
        func result(_ verdict: GateResult.Verdict, _ value: Double?, threshold: String? = nil, _ message: String?) -> GateResult {
            var result = GateResult(gate: gate, verdict: verdict, value: value, message: message)
            if let threshold { result.threshold = threshold }
            return result
        }

        if relative != nil, absolute == nil, context.stableVersion == nil {
            return result(.pass, nil, "no stable version to compare with (a first deployment): the relative bound does not apply")
        }
        if let problem = measurement.problem {
            return result(.inconclusive, nil, problem)
        }
        if let missing = evidenceProblem(requests: measurement.requests, value: measurement.value, of: canary, scale: scale,
                                         window: window, minRequests: rollout.minRequests) {
            return result(.inconclusive, finite(measurement.value).map { scale.round($0) }, missing)
        }
        let value = scale.round(measurement.value ?? .nan)
        let traffic = "\(count(measurement.requests ?? 0)) requests \(window)"

        if let absolute {
            let bound = scale.round(absolute)
            if !holds(value, bound, scale) {
                return result(.fail, value, threshold: comparison(scale, bound), traffic)
            }
        }
        guard let relative, let stableVersion = context.stableVersion else {
            let note = relative == nil ? traffic : "\(traffic); no stable version to compare with, so only the absolute bound applies"
            return result(.pass, value, threshold: absolute.map { comparison(scale, scale.round($0)) }, note)
        }
        let stable = "the stable version \(stableVersion)"
        if let missing = evidenceProblem(requests: measurement.stableRequests, value: measurement.stableValue, of: stable,
                                         scale: scale, window: window, minRequests: rollout.minRequests) {
            return result(.inconclusive, value, "\(missing); cannot compare with it")
        }
        let stableValue = scale.round(measurement.stableValue ?? .nan)
        let stableTraffic = "\(stable): \(NumberText.of(stableValue))\(scale.unit) over \(count(measurement.stableRequests ?? 0)) requests"
        let relativeBound = scale.round(relative.bound(stableValue))
        let relativeThreshold = comparison(scale, relativeBound) + " (\(relative.describe(stableValue)))"
        if !holds(value, relativeBound, scale) {
            return result(.fail, value, threshold: relativeThreshold, "\(traffic); \(stableTraffic)")
        }
        // Both hold: report the tighter bound, the one that mattered.
        var threshold = relativeThreshold
        if let absolute {
            let bound = scale.round(absolute)
            let absoluteIsTighter = scale.atLeast ? bound >= relativeBound : bound <= relativeBound
            if absoluteIsTighter { threshold = comparison(scale, bound) }
        }
        return result(.pass, value, threshold: threshold, "\(traffic); \(stableTraffic)")
    }

    /// Why the evidence for one version is not enough to judge, or nil when it is.
    private static func evidenceProblem(requests: Double?, value: Double?, of version: String, scale: Scale, window: String,
                                        minRequests: Int) -> String? {
        guard let requests, requests.isFinite else {
            return "no data: no request counts for \(version) \(window); check that it receives traffic and that its metrics are scraped"
        }
        if requests < Double(minRequests) {
            return "only \(count(requests)) requests to \(version) \(window), fewer than minRequests (\(minRequests)): too few to judge"
        }
        guard let value else {
            return "no data: no \(scale.noun) for \(version) \(window); check that its metrics are scraped"
        }
        guard value.isFinite else {
            return "the \(scale.noun) of \(version) \(window) is \(describe(value)), not a number to judge"
        }
        return nil
    }

    private static func holds(_ value: Double, _ bound: Double, _ scale: Scale) -> Bool {
        scale.atLeast ? value >= bound : value <= bound
    }

    private static func comparison(_ scale: Scale, _ bound: Double) -> String {
        (scale.atLeast ? ">= " : "<= ") + NumberText.of(bound) + scale.unit
    }

    /// A request count as people read it: whole counts as integers, Prometheus' extrapolated ones to one decimal.
    private static func count(_ requests: Double) -> String {
        NumberText.of((requests * 10).rounded(.down) / 10)
    }

    // MARK: prometheus

    private static func judgePrometheus(_ gate: Gate, min: Double?, max: Double?, measurement: GateMeasurement) -> GateResult {
        if let problem = measurement.problem {
            return GateResult(gate: gate, verdict: .inconclusive, value: nil, message: problem)
        }
        guard let value = measurement.value else {
            return GateResult(gate: gate, verdict: .inconclusive, value: nil,
                              message: "no data: the query returned no series; check its metric names and labels")
        }
        guard value.isFinite else {
            return GateResult(gate: gate, verdict: .inconclusive, value: nil,
                              message: "the query returned \(describe(value)), not a number to judge")
        }
        let inside = (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
        return GateResult(gate: gate, verdict: inside ? .pass : .fail, value: value, message: measurement.detail)
    }

    // MARK: webhook

    private static func judgeWebhook(_ gate: Gate, measurement: GateMeasurement) -> GateResult {
        if let problem = measurement.problem {
            return GateResult(gate: gate, verdict: .inconclusive, value: nil, message: problem)
        }
        guard let status = measurement.httpStatus else {
            return GateResult(gate: gate, verdict: .inconclusive, value: nil, message: "no answer was recorded")
        }
        var message = "HTTP \(status)"
        if let detail = measurement.detail, !detail.isEmpty { message += ": \(detail)" }
        return GateResult(gate: gate, verdict: (200..<300).contains(status) ? .pass : .fail, value: nil, message: message)
    }

    // MARK: Helpers

    private static func finite(_ value: Double?) -> Double? {
        value.flatMap { $0.isFinite ? $0 : nil }
    }

    private static func describe(_ value: Double) -> String {
        value.isNaN ? "NaN" : value > 0 ? "+Inf" : "-Inf"
    }
}
