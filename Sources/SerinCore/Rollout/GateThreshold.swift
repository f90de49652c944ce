/// What a gate is held to, in the words status files, the ledger and plans use for it.
extension Gate {
    /// The statistic a latency gate measures (`p99` for the 0.99 quantile, `p99.9` for 0.999); nil for other gates.
    public var statistic: String? {
        guard case .latency(let quantile, _) = check else { return nil }
        return "p" + NumberText.of((quantile * 100 * 10_000).rounded() / 10_000)
    }

    /// The unit measured values are reported in: milliseconds for latency, none for the others.
    public var unit: String? {
        if case .latency = check { return "ms" }
        return nil
    }

    /// The bound in ASCII: `>= 0.99`, `<= 250ms` (latency always in milliseconds, like its values),
    /// `<= 0.2`, `>= 0.1`, `within 0.1..0.2`, `2xx within 30s`.
    public var threshold: String {
        switch check {
        case .successRate(let min):
            return ">= \(NumberText.of(min))"
        case .latency(_, let max):
            return "<= \(max.milliseconds)ms"
        case .prometheus(_, let min, let max):
            switch (min, max) {
            case (let min?, let max?): return "within \(NumberText.of(min))..\(NumberText.of(max))"
            case (let min?, nil): return ">= \(NumberText.of(min))"
            case (nil, let max?): return "<= \(NumberText.of(max))"
            case (nil, nil): return "any value"
            }
        case .webhook(_, let timeout, _):
            return "2xx within \(timeout)"
        }
    }

    /// The PromQL query of a prometheus gate.
    public var query: String? {
        if case .prometheus(let query, _, _) = check { return query }
        return nil
    }
}
