/// What a gate is held to, in the words status files, the ledger and plans use for it.
extension Gate {
    /// The statistic a latency gate measures (`p99` for the 0.99 quantile, `p99.9` for 0.999); nil for other gates.
    public var statistic: String? {
        guard case .latency(let latency) = check else { return nil }
        return "p" + NumberText.of((latency.quantile * 100 * 10_000).rounded() / 10_000)
    }

    /// The unit measured values are reported in: milliseconds for latency, none for the others.
    public var unit: String? {
        if case .latency = check { return "ms" }
        return nil
    }

    /// The bound in ASCII: `>= 0.99`, `<= 250ms` (latency always in milliseconds, like its values),
    /// `<= 0.2`, `>= 0.1`, `within 0.1..0.2`, `2xx within 30s`; relative to the stable version `>= stable - 0.01`,
    /// `<= stable + 20%`; both bounds `both >= 0.99 and >= stable - 0.01` (no leading comparison, so a report does
    /// not negate only the first half). A checked result states the concrete bound instead (see `GateVerdict`).
    public var threshold: String {
        switch check {
        case .successRate(let rate):
            let bounds = [rate.min.map { ">= \(NumberText.of($0))" },
                          rate.maxDropFromStable.map { ">= stable - \(NumberText.of($0))" }].compactMap { $0 }
            return bounds.count > 1 ? "both " + bounds.joined(separator: " and ") : bounds.first ?? "any value"
        case .latency(let latency):
            let bounds = [latency.max.map { "<= \($0.milliseconds)ms" },
                          latency.maxIncreaseOverStable.map { "<= stable + \(Self.percent($0))" }].compactMap { $0 }
            return bounds.count > 1 ? "both " + bounds.joined(separator: " and ") : bounds.first ?? "any value"
        case .prometheus(_, let min, let max):
            switch (min, max) {
            case (let min?, let max?): return "within \(NumberText.of(min))..\(NumberText.of(max))"
            case (let min?, nil): return ">= \(NumberText.of(min))"
            case (nil, let max?): return "<= \(NumberText.of(max))"
            case (nil, nil): return "any value"
            }
        case .webhook(let webhook):
            return "2xx within \(webhook.timeout)"
        }
    }

    /// The PromQL query of a prometheus gate.
    public var query: String? {
        if case .prometheus(let query, _, _) = check { return query }
        return nil
    }

    /// A fraction as a percentage: `0.2` is `20%`, `0.125` is `12.5%`.
    static func percent(_ fraction: Double) -> String {
        NumberText.of((fraction * 100 * 10_000).rounded() / 10_000) + "%"
    }
}
