/// The outcome of one gate check during a rollout, as the status file and the ledger record it.
public struct GateResult: Sendable, Hashable {
    public enum Verdict: String, Sendable, Hashable, CaseIterable {
        case pass, fail
        /// Not enough evidence either way: no data, or fewer requests than `minRequests`. Never counts as a pass.
        case inconclusive
    }

    /// The gate's name in the ModelDeployment.
    public var name: String
    /// What the gate measured when the name alone does not say it: `p99` for a latency gate at the 0.99 quantile.
    public var statistic: String?
    public var verdict: Verdict
    /// The measured value, in `unit`. Nil when there was no data. Only finite values are meaningful: a status file
    /// stores a NaN or infinite measurement as absent, that is, as no data.
    public var value: Double?
    /// The unit of `value`, such as `ms`; nil for plain numbers and fractions.
    public var unit: String?
    /// The bound the value was held to, as text: `>= 0.99`, `<= 250ms`, `within 0.1..0.2`, `2xx within 30s`.
    /// A leading `>=`, `<=`, `>` or `<` (or `within`) lets reports state a failure as its opposite (`310ms > 250ms`).
    public var threshold: String
    /// The PromQL query of a prometheus gate.
    public var query: String?
    /// Anything else worth knowing, such as why a check was inconclusive or what a webhook answered.
    public var message: String?
    /// How many checks of this gate in a row have failed, this one included; the rollout rolls back when it
    /// reaches the spec's `maxFailedChecks`.
    public var consecutiveFailures: Int
    /// How many checks of this gate in a row were inconclusive, this one included; the rollout fails when it
    /// reaches the spec's `maxInconclusiveChecks`.
    public var consecutiveInconclusive: Int

    public init(name: String, statistic: String? = nil, verdict: Verdict, value: Double?, unit: String? = nil,
                threshold: String, query: String? = nil, message: String? = nil, consecutiveFailures: Int = 0,
                consecutiveInconclusive: Int = 0) {
        self.name = name
        self.statistic = statistic
        self.verdict = verdict
        self.value = value
        self.unit = unit
        self.threshold = threshold
        self.query = query
        self.message = message
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveInconclusive = consecutiveInconclusive
    }

    /// A result for `gate`, with the statistic, unit, threshold and query taken from its spec so that every gate
    /// reports them alike. A latency `value` is in milliseconds.
    public init(gate: Gate, verdict: Verdict, value: Double?, message: String? = nil, consecutiveFailures: Int = 0) {
        self.init(name: gate.name, statistic: gate.statistic, verdict: verdict, value: value, unit: gate.unit,
                  threshold: gate.threshold, query: gate.query, message: message, consecutiveFailures: consecutiveFailures)
    }

    /// The name with the statistic: `latency p99`.
    public var label: String {
        statistic.map { "\(name) \($0)" } ?? name
    }

    /// The value with its unit (`310ms`), or nil when there was no data.
    public var valueText: String? {
        guard let value, value.isFinite else { return nil }
        return NumberText.of(value) + (unit ?? "")
    }
}
