/// How a plan describes a rollout in words: `canary 10% → 25% → 50% → 100%, every 2m, gates: successRate ≥ 0.99,
/// latency p99 ≤ 250ms, drift ≤ 0.2 (prometheus), smoke (webhook); approval before 100%`.
enum RolloutSummary {
    static func describe(_ rollout: RolloutSpec) -> String {
        var text: String
        switch rollout.strategy {
        case .canary:
            text = "canary \(rollout.steps.map { "\($0)%" }.joined(separator: " → ")), every \(rollout.interval)"
        case .blueGreen:
            text = "blueGreen: verified without traffic, then all traffic at once"
        case .recreate:
            text = "recreate: the old version stops before the new one starts"
        }
        text += rollout.gates.isEmpty ? ", no gates" : ", gates: " + rollout.gates.map(describe).joined(separator: ", ")
        let measured = rollout.gates.contains { if case .successRate = $0.check { true } else if case .latency = $0.check { true } else { false } }
        if measured, rollout.metrics != SpecDefaults.metricsSource { text += " (metrics: \(rollout.metrics.name))" }
        if let approval = rollout.approval { text += "; approval before \(approval.before)%" }
        return text
    }

    /// `successRate ≥ 0.99`, `latency p99 ≤ 250ms`, `0.1 ≤ drift ≤ 0.2 (prometheus)`, `smoke (webhook)`: the
    /// check's kind follows in parentheses when the name does not already say it.
    static func describe(_ gate: Gate) -> String {
        let label = gate.statistic.map { "\(gate.name) \($0)" } ?? gate.name
        let kind = gate.name == gate.check.kind ? "" : " (\(gate.check.kind))"
        switch gate.check {
        case .successRate(let rate):
            let bounds = [rate.min.map { "≥ \(NumberText.of($0))" },
                          rate.maxDropFromStable.map { "≥ stable − \(NumberText.of($0))" }].compactMap { $0 }
            return "\(label) \(bounds.joined(separator: " and "))\(kind)"
        case .latency(let latency):
            let bounds = [latency.max.map { "≤ \($0)" },
                          latency.maxIncreaseOverStable.map { "≤ stable + \(Gate.percent($0))" }].compactMap { $0 }
            return "\(label) \(bounds.joined(separator: " and "))\(kind)"
        case .prometheus(_, let min?, let max?):
            return "\(NumberText.of(min)) ≤ \(label) ≤ \(NumberText.of(max))\(kind)"
        case .prometheus(_, let min?, nil):
            return "\(label) ≥ \(NumberText.of(min))\(kind)"
        case .prometheus(_, nil, let max?):
            return "\(label) ≤ \(NumberText.of(max))\(kind)"
        case .prometheus(_, nil, nil), .webhook:
            return "\(label)\(kind)"
        }
    }
}
