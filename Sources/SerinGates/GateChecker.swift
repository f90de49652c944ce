import Foundation
import Logging
import SerinCore

/// Checks a rollout step's gates: measures each one (Prometheus queries, webhook calls) concurrently and judges
/// the evidence with `GateVerdict`, returning one `GateResult` per gate in the spec's order.
///
/// Every metric query of one check is evaluated at the same instant, so the canary and the stable version are
/// compared over exactly the same interval. Nothing here throws: an unreachable Prometheus, a refused query or a
/// silent webhook becomes an inconclusive result whose message says what happened and what to do, and the rollout
/// counts those streaks (`consecutiveFailures` is left at 0).
public struct GateChecker: Sendable {
    private let metrics: (any MetricsQuerying)?
    private let webhooks: WebhookClient
    private let logger: Logger
    private let now: @Sendable () -> Double

    /// `metrics` is nil where no Prometheus is configured: metric gates are then inconclusive, saying so.
    /// `now` gives the evaluation time in Unix seconds.
    public init(metrics: (any MetricsQuerying)?, webhooks: WebhookClient, logger: Logger,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.metrics = metrics
        self.webhooks = webhooks
        self.logger = logger
        self.now = now
    }

    /// Checks every gate at once; results come back in the order of `gates`.
    public func check(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) async -> [GateResult] {
        let time = now()
        return await withTaskGroup(of: (Int, GateResult).self) { group in
            for (index, gate) in gates.enumerated() {
                group.addTask { (index, await check(gate, rollout: rollout, context: context, at: time)) }
            }
            var results: [(Int, GateResult)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Checks one gate, with metric queries evaluated at `time` (Unix seconds).
    public func check(_ gate: Gate, rollout: RolloutSpec, context: GateContext, at time: Double) async -> GateResult {
        let measurement = await measure(gate, rollout: rollout, context: context, at: time)
        let result = GateVerdict.evaluate(gate, rollout: rollout, context: context, measurement: measurement)
        logger.info("gate checked", metadata: [
            "model": "\(context.key)", "version": "\(context.canaryVersion)", "gate": "\(result.label)",
            "verdict": "\(result.verdict.rawValue)", "value": "\(result.valueText ?? "none")", "threshold": "\(result.threshold)",
            "detail": "\(result.message ?? "")",
        ])
        return result
    }

    // MARK: Measuring

    private func measure(_ gate: Gate, rollout: RolloutSpec, context: GateContext, at time: Double) async -> GateMeasurement {
        switch gate.check {
        case .successRate(let rate):
            return await measureMetric(gate.check, relative: rate.maxDropFromStable != nil, absolute: rate.min != nil,
                                       rollout: rollout, context: context, at: time)
        case .latency(let latency):
            return await measureMetric(gate.check, relative: latency.maxIncreaseOverStable != nil, absolute: latency.max != nil,
                                       rollout: rollout, context: context, at: time)
        case .prometheus(let query, _, _):
            guard let metrics else { return GateMeasurement(problem: Self.noPrometheus, query: query) }
            switch await number(query, from: metrics, at: time, what: "the gate", rollout: rollout) {
            case .success(let value): return GateMeasurement(value: value, query: query)
            case .failure(let problem): return GateMeasurement(problem: problem.message, query: query)
            }
        case .webhook(let webhook):
            switch await webhooks.call(webhook, gate: gate.name, context: context) {
            case .answered(let status, let body): return GateMeasurement(httpStatus: status, detail: body)
            case .noAnswer(let why), .notSent(let why): return GateMeasurement(problem: why)
            }
        }
    }

    private static let noPrometheus = "no Prometheus is configured for Serin, so metric gates have no evidence; configure one, or remove the gate"

    private func measureMetric(_ check: GateCheck, relative: Bool, absolute: Bool, rollout: RolloutSpec, context: GateContext,
                               at time: Double) async -> GateMeasurement {
        // A relative-only bound with nothing to compare with passes without evidence (see GateVerdict): no queries.
        if relative, !absolute, context.stableVersion == nil { return GateMeasurement() }
        let queries = MetricQueries(source: rollout.metrics, context: context)
        guard let valueQuery = queries.value(of: check, version: context.canaryVersion) else {
            let limitation = rollout.metrics.limitation(forGate: check.kind) ?? "it has no query for this gate"
            return GateMeasurement(problem: "metrics source \(rollout.metrics.name) cannot measure \(check.kind): \(limitation)")
        }
        guard let metrics else { return GateMeasurement(problem: Self.noPrometheus, query: valueQuery) }
        let noun = check.kind == "latency" ? "latency" : "success rate"

        async let canaryRequests = number(queries.requests(version: context.canaryVersion), from: metrics, at: time,
                                          what: "the canary's request count", rollout: rollout)
        async let canaryValue = number(valueQuery, from: metrics, at: time, what: "the canary's \(noun)", rollout: rollout)
        var stableRequests: Result<Double?, QueryProblem> = .success(nil)
        var stableValue: Result<Double?, QueryProblem> = .success(nil)
        if relative, let stable = context.stableVersion, let stableQuery = queries.value(of: check, version: stable) {
            async let requests = number(queries.requests(version: stable), from: metrics, at: time,
                                        what: "the stable version's request count", rollout: rollout)
            async let value = number(stableQuery, from: metrics, at: time, what: "the stable version's \(noun)", rollout: rollout)
            (stableRequests, stableValue) = await (requests, value)
        }
        let all = await [canaryRequests, canaryValue, stableRequests, stableValue]
        for result in all {
            if case .failure(let problem) = result { return GateMeasurement(problem: problem.message, query: valueQuery) }
        }
        func value(_ result: Result<Double?, QueryProblem>) -> Double? { (try? result.get()) ?? nil }
        return GateMeasurement(value: value(all[1]), requests: value(all[0]), stableValue: value(all[3]),
                               stableRequests: value(all[2]), query: valueQuery)
    }

    private struct QueryProblem: Error {
        var message: String
    }

    /// One number from one query, or the problem in words that say what to do.
    private func number(_ query: String, from metrics: any MetricsQuerying, at time: Double, what: String,
                        rollout: RolloutSpec) async -> Result<Double?, QueryProblem> {
        let result: QueryResult
        do {
            result = try await metrics.query(query, at: time)
        } catch {
            let address = metrics.displayAddress
            let message: String
            switch error {
            case .badQuery:
                message = "configuration error: \(error) (the query for \(what): \(query)); this is not a verdict on the version: fix the query in spec.rollout.metrics or the gate. Until then the gate is inconclusive, and \(rollout.maxInconclusiveChecks) inconclusive checks in a row fail the rollout"
            case .unreachable(let why):
                message = "Prometheus at \(address) is unreachable: \(why); the gate is inconclusive until it answers"
            default:
                message = "\(error) (Prometheus at \(address), the query for \(what))"
            }
            return .failure(QueryProblem(message: message))
        }
        switch result.singleValue {
        case .success(let value):
            return .success(value)
        case .failure(let many):
            return .failure(QueryProblem(message: "the query for \(what) returned \(many.count) series, expected one number: aggregate it, e.g. with sum(...) or max(...) (\(query))"))
        }
    }
}
