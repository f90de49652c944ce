extension RolloutStatus {
    /// The status file's document, in a fixed field order so that successive commits of it diff line by line.
    /// Absent optional values are left out rather than written as null.
    public var yamlValue: YAMLValue {
        var status: [(String, YAMLValue)] = [("phase", .string(phase.rawValue))]
        if let stableVersion { status.append(("stableVersion", .string(stableVersion))) }
        if let canaryVersion { status.append(("canaryVersion", .string(canaryVersion))) }
        if let stableDigest { status.append(("stableDigest", .string(stableDigest))) }
        if let canaryDigest { status.append(("canaryDigest", .string(canaryDigest))) }
        if let specDigest { status.append(("specDigest", .string(specDigest))) }
        status.append(("canaryWeight", .integer(canaryWeight)))
        if let stepIndex { status.append(("stepIndex", .integer(stepIndex))) }
        if let intervalStartedAt { status.append(("intervalStartedAt", .string(intervalStartedAt.description))) }
        status += [
            ("desiredCommit", .string(desiredCommit)),
            ("reason", .string(reason)),
            ("startedAt", .string(startedAt.description)),
            ("updatedAt", .string(updatedAt.description)),
            ("gates", .list(gates.map(\.yamlValue))),
        ]
        return .mapping([
            ("apiVersion", .string(Self.apiVersion)),
            ("kind", .string(Self.kind)),
            ("metadata", .mapping([("name", .string(key.name)), ("namespace", .string(key.namespace))])),
            ("status", .mapping(status)),
        ])
    }

    /// The status file's text.
    public var yaml: String { YAMLWriter.write(yamlValue) }
}

extension GateResult {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("name", .string(name))]
        if let statistic { pairs.append(("statistic", .string(statistic))) }
        pairs.append(("verdict", .string(verdict.rawValue)))
        if let value, value.isFinite { pairs.append(("value", .number(value))) }
        if let unit { pairs.append(("unit", .string(unit))) }
        pairs.append(("threshold", .string(threshold)))
        if let query { pairs.append(("query", .string(query))) }
        if let message { pairs.append(("message", .string(message))) }
        pairs.append(("consecutiveFailures", .integer(consecutiveFailures)))
        if consecutiveInconclusive > 0 { pairs.append(("consecutiveInconclusive", .integer(consecutiveInconclusive))) }
        return .mapping(pairs)
    }
}
