extension ModelDeployment {
    /// The document with every default written out, in the spec's field order: what `--show-defaults` prints,
    /// and what decodes back to an equal value.
    public var yamlValue: YAMLValue {
        .mapping([
            ("apiVersion", .string(Self.apiVersion)),
            ("kind", .string(Self.kind)),
            ("metadata", metadata.yamlValue),
            ("spec", spec.yamlValue),
        ])
    }
}

extension ObjectMetadata {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("name", .string(name)), ("namespace", .string(namespace))]
        if !labels.isEmpty { pairs.append(("labels", .stringMap(labels))) }
        if !annotations.isEmpty { pairs.append(("annotations", .stringMap(annotations))) }
        return .mapping(pairs)
    }
}

extension ModelSource {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("name", .string(name)), ("version", .string(version)), ("uri", .string(uri.text))]
        if let format { pairs.append(("format", .string(format.rawValue))) }
        if let digest { pairs.append(("digest", .string(digest.description))) }
        return .mapping(pairs)
    }
}

extension ModelDeploymentSpec {
    var yamlValue: YAMLValue {
        .mapping([
            ("model", model.yamlValue),
            ("runtime", runtime.yamlValue),
            ("replicas", .integer(replicas)),
            ("traffic", traffic.yamlValue),
            ("rollout", rollout.yamlValue),
            ("prune", .boolean(prune)),
        ])
    }
}

extension RuntimeSpec {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        if let image { pairs.append(("image", .string(image))) }
        if let command { pairs.append(("command", .list(command.map(YAMLValue.string)))) }
        if !args.isEmpty { pairs.append(("args", .list(args.map(YAMLValue.string)))) }
        pairs.append(("port", .integer(port)))
        if !env.isEmpty {
            pairs.append(("env", .list(env.map { .mapping([("name", .string($0.name)), ("value", .string($0.value))]) })))
        }
        var resourcePairs: [(String, YAMLValue)] = []
        if let cpu = resources.cpu { resourcePairs.append(("cpu", .string(cpu.text))) }
        if let memory = resources.memory { resourcePairs.append(("memory", .string(memory.text))) }
        if let gpu = resources.gpu { resourcePairs.append(("gpu", .integer(gpu))) }
        var limitPairs: [(String, YAMLValue)] = []
        if let cpu = resources.limits.cpu { limitPairs.append(("cpu", .string(cpu.text))) }
        if let memory = resources.limits.memory { limitPairs.append(("memory", .string(memory.text))) }
        if !limitPairs.isEmpty { resourcePairs.append(("limits", .mapping(limitPairs))) }
        if !resourcePairs.isEmpty { pairs.append(("resources", .mapping(resourcePairs))) }
        pairs.append(("readinessPath", .string(readinessPath)))
        pairs.append(("livenessPath", .string(livenessPath)))
        if let metricsPath { pairs.append(("metricsPath", .string(metricsPath))) }
        if let metricsPort { pairs.append(("metricsPort", .integer(metricsPort))) }
        return .mapping(pairs)
    }
}

extension TrafficSpec {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        if let provider { pairs.append(("provider", .string(provider.rawValue))) }
        if let gatewayAPI {
            var settings: [(String, YAMLValue)] = [("route", .string(gatewayAPI.route))]
            if let namespace = gatewayAPI.namespace { settings.append(("namespace", .string(namespace))) }
            pairs.append(("gatewayAPI", .mapping(settings)))
        }
        if let istio {
            var settings: [(String, YAMLValue)] = [("virtualService", .string(istio.virtualService))]
            if let host = istio.host { settings.append(("host", .string(host))) }
            pairs.append(("istio", .mapping(settings)))
        }
        return .mapping(pairs)
    }
}

extension RolloutSpec {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("strategy", .string(strategy.rawValue))]
        if strategy == .canary { pairs.append(("steps", .list(steps.map(YAMLValue.integer)))) }
        pairs += [
            ("interval", .string(interval.description)),
            ("maxFailedChecks", .integer(maxFailedChecks)),
            ("maxInconclusiveChecks", .integer(maxInconclusiveChecks)),
            ("minRequests", .integer(minRequests)),
            ("progressDeadline", .string(progressDeadline.description)),
            ("metrics", metrics.yamlValue),
            ("gates", .list(gates.map(\.yamlValue))),
        ]
        if let approval { pairs.append(("approval", .mapping([("before", .integer(approval.before))]))) }
        return .mapping(pairs)
    }
}

extension Gate {
    var yamlValue: YAMLValue {
        var body: [(String, YAMLValue)] = [("name", .string(name))]
        switch check {
        case .successRate(let rate):
            if let min = rate.min { body.append(("min", .number(min))) }
            if let drop = rate.maxDropFromStable {
                body += [("relativeTo", .string(GateBaseline.stable.rawValue)), ("maxDrop", .number(drop))]
            }
        case .latency(let latency):
            body.append(("quantile", .number(latency.quantile)))
            if let max = latency.max { body.append(("max", .string(max.description))) }
            if let increase = latency.maxIncreaseOverStable {
                body += [("relativeTo", .string(GateBaseline.stable.rawValue)), ("maxIncrease", .number(increase))]
            }
        case .prometheus(let query, let min, let max):
            body.append(("query", .string(query)))
            if let min { body.append(("min", .number(min))) }
            if let max { body.append(("max", .number(max))) }
        case .webhook(let webhook):
            body += [("url", .string(webhook.url)), ("timeout", .string(webhook.timeout.description))]
            if !webhook.metadata.isEmpty { body.append(("metadata", .stringMap(webhook.metadata))) }
            switch webhook.secret {
            case .file(let path)?: body.append(("secret", .mapping([("file", .string(path))])))
            case .environment(let name)?: body.append(("secret", .mapping([("env", .string(name))])))
            case nil: break
            }
        }
        return .mapping([(check.kind, .mapping(body))])
    }
}

extension MetricsSource {
    var yamlValue: YAMLValue {
        var pairs: [(String, YAMLValue)] = [("source", .string(name))]
        if case .custom(let templates) = self {
            pairs.append(("requests", .string(templates.requests)))
            if let successRate = templates.successRate { pairs.append(("successRate", .string(successRate))) }
            if let latency = templates.latency { pairs.append(("latency", .string(latency))) }
        }
        return .mapping(pairs)
    }
}

extension YAMLValue {
    /// A string map in key order, so output is stable.
    static func stringMap(_ map: [String: String]) -> YAMLValue {
        .mapping(map.keys.sorted().map { ($0, .string(map[$0] ?? "")) })
    }
}
