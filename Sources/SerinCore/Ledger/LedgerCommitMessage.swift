/// The commit message of a ledger commit: one per rollout transition, so that `git log` on the status branch reads
/// as the rollout's history and tools can read it back from the trailers.
///
/// ```
/// ml-prod/fraud-detector: Progressing 25% (v13)
///
/// Gates passed for 2m at 10%; moving to 25%.
///
/// successRate: 0.995 >= 0.99 pass
/// latency p99: 310ms > 250ms fail (2 consecutive)
/// drift: no data (inconclusive)
///
/// Serin-Model: ml-prod/fraud-detector
/// Serin-Desired-Commit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
/// Serin-Phase: Progressing
/// Serin-Weight: 25
/// Serin-Version: 13
/// ```
///
/// Lines never end in whitespace and the message ends with one newline, as `git commit --cleanup=strip` would
/// leave it, so the message a commit stores is the message rendered.
public enum LedgerCommitMessage {
    /// `previous`: the status the ledger recorded before this one, which the subject compares with (see `subject`).
    public static func render(_ status: RolloutStatus, after previous: RolloutStatus? = nil) -> String {
        var paragraphs = [subject(status, after: previous)]
        let reason = cleanLines(status.reason)
        if !reason.isEmpty { paragraphs.append(reason.joined(separator: "\n")) }
        if !status.gates.isEmpty { paragraphs.append(status.gates.map(gateLine).joined(separator: "\n")) }
        paragraphs.append(LedgerTrailers(status).lines.map(oneLine).joined(separator: "\n"))
        return paragraphs.joined(separator: "\n\n") + "\n"
    }

    /// `ml-prod/fraud-detector: Progressing 25% (v13)`; without the parenthesis when there is no version yet.
    ///
    /// A transition that leaves the phase, the weight and the revision as `previous` had them adds what it was, so
    /// that the commits of one step read apart in `git log --oneline`: `…, held: successRate fail` for a check that
    /// did not pass (the gates that did not, with their verdicts), `…, check restarted` for an interval that started
    /// over with no check made (the workloads had to be deployed again).
    public static func subject(_ status: RolloutStatus, after previous: RolloutStatus? = nil) -> String {
        var text = "\(status.key): \(status.phase.rawValue) \(status.canaryWeight)%"
        if let version = status.rolloutVersion { text += " (\(displayVersion(version)))" }
        if let previous, let note = sameStepNote(status, after: previous) { text += ", " + note }
        return oneLine(text)
    }

    /// What a transition that stays at its step did, or nil when it moved (or did something without a short name).
    private static func sameStepNote(_ status: RolloutStatus, after previous: RolloutStatus) -> String? {
        guard previous.key == status.key, previous.phase == status.phase, previous.canaryWeight == status.canaryWeight,
              previous.canaryRevision == status.canaryRevision, previous.stableRevision == status.stableRevision
        else { return nil }
        if status.gates != previous.gates {
            guard status.gates.contains(where: { $0.verdict != .pass }) else { return "gates passed" }
            return "held: " + gatesNotPassing(status.gates)
        }
        if status.intervalStartedAt != previous.intervalStartedAt { return "check restarted" }
        return nil
    }

    /// The gates of a check that did not pass, each with its verdict: `successRate fail, latency p99 inconclusive`.
    /// The rollout machine's reason for holding a canary and the subject of that commit name them alike.
    public static func gatesNotPassing(_ gates: [GateResult]) -> String {
        gates.filter { $0.verdict != .pass }.map { "\($0.label) \($0.verdict.rawValue)" }.joined(separator: ", ")
    }

    /// A version as people read it in a sentence: `v13` for `13`, unchanged when it starts with a letter.
    public static func displayVersion(_ version: String) -> String {
        version.first.map { $0.isASCII && $0.isNumber } == true ? "v" + version : version
    }

    /// One gate's evidence:
    /// `successRate: 0.995 >= 0.99 pass`, `latency p99: 310ms > 250ms fail (2 consecutive)`,
    /// `drift: no data (inconclusive)`, `smoke: fail; HTTP 503`.
    ///
    /// A failure states the threshold's opposite when the threshold starts with a comparison (`<= 250ms` fails as
    /// `> 250ms`, `within a..b` as `outside a..b`), and `vs <threshold>` otherwise. The consecutive count is shown
    /// for repeated failures only; the gate's message, if any, follows a semicolon.
    public static func gateLine(_ gate: GateResult) -> String {
        var text = "\(gate.label): "
        switch (gate.verdict, gate.valueText) {
        case (.inconclusive, let value):
            text += "\(value ?? "no data") (inconclusive)"
        case (let verdict, let value?):
            text += "\(value) \(comparison(gate.threshold, holds: verdict == .pass)) \(verdict.rawValue)"
        case (let verdict, nil):
            text += verdict.rawValue
        }
        if gate.verdict == .fail, gate.consecutiveFailures > 1 { text += " (\(gate.consecutiveFailures) consecutive)" }
        if let message = gate.message.map(oneLine), !message.isEmpty { text += "; \(message)" }
        return oneLine(text)
    }

    /// A gate's evidence without its label (`0.995 >= 0.99 pass`), as a sentence about the gate quotes it.
    public static func gateEvidence(_ gate: GateResult) -> String {
        let line = gateLine(gate)
        let label = "\(gate.label): "
        return line.hasPrefix(label) ? String(line.dropFirst(label.count)) : line
    }

    private static let opposites = [(">=", "<"), ("<=", ">"), (">", "<="), ("<", ">="), ("within ", "outside ")]

    /// The threshold as it held (`>= 0.99`) or as it was broken (`< 0.99`).
    private static func comparison(_ threshold: String, holds: Bool) -> String {
        if holds { return threshold }
        for (comparison, opposite) in opposites where threshold.hasPrefix(comparison) {
            return opposite + threshold.dropFirst(comparison.count)
        }
        return "vs \(threshold)"
    }

    /// Reads the Serin trailers back from a commit message.
    ///
    /// Nil when the message is not a Serin ledger commit: someone else's commit on the branch, a message without a
    /// trailer paragraph, or one whose Serin trailers are missing or malformed. Follows git's trailer conventions:
    /// the trailers are the last paragraph (never the subject), keys compare case-insensitively, a line starting
    /// with whitespace continues the previous trailer, other trailers are ignored, and the first occurrence of a key
    /// counts. CRLF and CR line ends are read like LF.
    public static func parse(_ message: String) -> LedgerTrailers? {
        let lines = message.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.reversed().drop(while: \.isWhitespace).reversed() }
            .map { String($0) }
        guard let last = lines.lastIndex(where: { !$0.isEmpty }),
              let blank = lines[...last].lastIndex(where: \.isEmpty),
              lines[..<blank].contains(where: { !$0.isEmpty }) else { return nil }
        var values: [String: String] = [:]
        var previousKey: String?
        for line in lines[(blank + 1)...last] {
            if let first = line.first, first.isWhitespace {
                if let key = previousKey, let value = values[key] {
                    values[key] = value + " " + line.drop(while: \.isWhitespace)
                }
                continue
            }
            previousKey = nil
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].lowercased()
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                  values[key] == nil else { continue }
            values[key] = String(line[line.index(after: colon)...].drop(while: \.isWhitespace))
            previousKey = key
        }
        return trailers(from: values)
    }

    private static func trailers(from values: [String: String]) -> LedgerTrailers? {
        func value(_ key: String) -> String? { values[key.lowercased()] }
        guard let model = value(LedgerTrailers.modelKey),
              let slash = model.firstIndex(of: "/"),
              let desiredCommit = value(LedgerTrailers.desiredCommitKey), !desiredCommit.isEmpty,
              let phase = value(LedgerTrailers.phaseKey).flatMap(RolloutPhase.init(rawValue:)),
              let weight = value(LedgerTrailers.weightKey).flatMap({ Int($0) }), (0...100).contains(weight) else { return nil }
        let namespace = String(model[..<slash])
        let name = String(model[model.index(after: slash)...])
        guard Names.dnsLabelProblem(namespace) == nil, Names.dnsLabelProblem(name) == nil else { return nil }
        let version = value(LedgerTrailers.versionKey).flatMap { $0.isEmpty ? nil : $0 }
        return LedgerTrailers(key: DeploymentKey(namespace: namespace, name: name), desiredCommit: desiredCommit,
                              phase: phase, weight: weight, version: version)
    }

    /// Lines of free text as `git commit` would store them: no trailing whitespace, no blank lines at either end,
    /// runs of blank lines collapsed into one; CR line ends read as LF.
    private static func cleanLines(_ text: String) -> [String] {
        var lines: [String] = []
        for line in text.replacing("\r\n", with: "\n").replacing("\r", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = String(line.reversed().drop(while: \.isWhitespace).reversed())
            if trimmed.isEmpty && (lines.last?.isEmpty ?? true) { continue }
            lines.append(trimmed)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Text that must stay on one line (the subject, a trailer, a gate line): line breaks become spaces and
    /// trailing whitespace goes.
    private static func oneLine(_ text: String) -> String {
        let joined = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return String(joined.reversed().drop(while: \.isWhitespace).reversed())
    }
}
