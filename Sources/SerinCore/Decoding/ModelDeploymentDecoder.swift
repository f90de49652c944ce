/// Decodes the `ModelDeployment` schema from a YAML tree: strict (unknown fields are errors), complete (every problem
/// in a document is reported) and with every default filled in from `SpecDefaults`.
struct ModelDeploymentDecoder {
    var reader: SpecReader

    init(file: String) { reader = SpecReader(file: file) }

    static let topFields = ["apiVersion", "kind", "metadata", "spec"]

    /// Decodes a document already known to claim kind ModelDeployment. Nil when any error was found.
    mutating func decode(_ root: YAMLNode) -> ModelDeployment? {
        let before = reader.diagnostics.count
        guard let top = reader.object(root, .root, fields: Self.topFields, expected: "a ModelDeployment") else { return nil }
        if let apiVersion = reader.required(top, "apiVersion", expected: ModelDeployment.apiVersion) {
            _ = reader.text(apiVersion, top.path("apiVersion"), expected: ModelDeployment.apiVersion,
                            problem: { $0 == ModelDeployment.apiVersion ? nil : ModelDeployment.apiVersion })
        }
        let metadata = reader.required(top, "metadata", expected: "a mapping with name and namespace").flatMap { decodeMetadata($0) }
        let spec = reader.required(top, "spec", expected: "a mapping with model and runtime").flatMap {
            decodeSpec($0, FieldPath.root / "spec", metadataName: metadata?.name)
        }
        guard let metadata, let spec, !hasErrors(since: before) else { return nil }
        return ModelDeployment(metadata: metadata, spec: spec)
    }

    private func hasErrors(since index: Int) -> Bool {
        reader.diagnostics[index...].contains { $0.severity == .error }
    }

    // MARK: metadata

    private mutating func decodeMetadata(_ node: YAMLNode) -> ObjectMetadata? {
        let path = FieldPath.root / "metadata"
        guard let fields = reader.object(node, path, fields: ["name", "namespace", "labels", "annotations"],
                                         expected: "a mapping with name and namespace") else { return nil }
        let name = reader.required(fields, "name", expected: Names.dnsLabelRule).flatMap { dnsLabel($0, fields.path("name")) }
        let namespace = fields["namespace"].map { dnsLabel($0, fields.path("namespace")) } ?? SpecDefaults.namespace
        let labels = fields["labels"].map {
            reader.stringMap($0, fields.path("labels"), expected: "a mapping of label keys to values",
                             keyProblem: Names.qualifiedNameProblem, valueProblem: Names.labelValueProblem)
        } ?? [:]
        let annotations = fields["annotations"].map {
            reader.stringMap($0, fields.path("annotations"), expected: "a mapping of annotation keys to values",
                             keyProblem: Names.qualifiedNameProblem)
        } ?? [:]
        guard let name, let namespace, let labels, let annotations else { return nil }
        return ObjectMetadata(name: name, namespace: namespace, labels: labels, annotations: annotations)
    }

    private mutating func dnsLabel(_ node: YAMLNode, _ path: FieldPath) -> String? {
        reader.text(node, path, expected: Names.dnsLabelRule, problem: Names.dnsLabelProblem,
                    hint: { Names.dnsLabelSuggestion(for: $0).map { "did you mean \"\($0)\"?" } })
    }

    // MARK: spec

    private mutating func decodeSpec(_ node: YAMLNode, _ path: FieldPath, metadataName: String?) -> ModelDeploymentSpec? {
        guard let fields = reader.object(node, path, fields: ["model", "runtime", "replicas", "traffic", "rollout", "prune"],
                                         expected: "a mapping with model and runtime") else { return nil }
        let model = reader.required(fields, "model", expected: "a mapping with version and uri").flatMap {
            decodeModel($0, fields.path("model"), defaultName: metadataName)
        }
        let runtime = reader.required(fields, "runtime", expected: "a mapping with image or command").flatMap {
            decodeRuntime($0, fields.path("runtime"))
        }
        let replicas = fields["replicas"].map {
            reader.integer($0, fields.path("replicas"), in: 1...Int(Int32.max), expected: "a whole number of replicas, at least 1")
        } ?? SpecDefaults.replicas
        let traffic = fields["traffic"].map { decodeTraffic($0, fields.path("traffic"), defaultName: metadataName) } ?? TrafficSpec()
        let rollout = fields["rollout"].map { decodeRollout($0, fields.path("rollout")) } ?? RolloutSpec()
        let prune = fields["prune"].map { reader.boolean($0, fields.path("prune")) } ?? SpecDefaults.prune
        guard let model, let runtime, let replicas, let traffic, let rollout, let prune else { return nil }
        return ModelDeploymentSpec(model: model, runtime: runtime, replicas: replicas, traffic: traffic, rollout: rollout, prune: prune)
    }

    private mutating func decodeModel(_ node: YAMLNode, _ path: FieldPath, defaultName: String?) -> ModelSource? {
        guard let fields = reader.object(node, path, fields: ["name", "version", "uri", "format", "digest"],
                                         expected: "a mapping with version and uri") else { return nil }
        let name = fields["name"].map {
            reader.text($0, fields.path("name"), expected: "a model name", problem: Names.modelNameProblem)
        } ?? defaultName
        let version = reader.required(fields, "version", expected: "the version being deployed, e.g. \"13\"").flatMap {
            reader.text($0, fields.path("version"), expected: "a version", problem: Names.versionProblem)
        }
        let uri = reader.required(fields, "uri", expected: "the model artifact's URI, e.g. s3://models/fraud-detector/13").flatMap {
            modelURI($0, fields.path("uri"))
        }
        let format = fields["format"].map { reader.choice($0, fields.path("format"), of: ModelFormat.self) }
        let digest = fields["digest"].map { node in
            reader.text(node, fields.path("digest"), expected: "sha256: followed by 64 lowercase hexadecimal digits",
                        problem: { ArtifactDigest(parsing: $0) == nil ? "sha256: followed by 64 lowercase hexadecimal digits" : nil })
                .flatMap { ArtifactDigest(parsing: $0) }
        }
        guard let name, let version, let uri, format != .some(nil), digest != .some(nil) else { return nil }
        return ModelSource(name: name, version: version, uri: uri, format: format ?? nil, digest: digest ?? nil)
    }

    private mutating func modelURI(_ node: YAMLNode, _ path: FieldPath) -> ModelURI? {
        guard let text = reader.text(node, path, expected: "a URI") else { return nil }
        switch ModelURI.parse(text) {
        case .success(let uri): return uri
        case .failure(let problem):
            reader.mismatch(node, path, expected: problem.expected, hint: problem.hint)
            return nil
        }
    }

    // MARK: runtime

    private mutating func decodeRuntime(_ node: YAMLNode, _ path: FieldPath) -> RuntimeSpec? {
        let known = ["image", "command", "args", "port", "env", "resources", "readinessPath", "livenessPath", "metricsPath", "metricsPort"]
        guard let fields = reader.object(node, path, fields: known, expected: "a mapping with image or command") else { return nil }
        if fields["image"] == nil && fields["command"] == nil {
            reader.report(at: node.mark, path, "found neither image nor command, expected image (for Kubernetes), command (for the local runtime), or both")
        }
        let image = fields["image"].map {
            reader.text($0, fields.path("image"), expected: "an image reference", problem: Names.imageReferenceProblem)
        }
        let command = fields["command"].map { templatedList($0, fields.path("command"), allowEmpty: false) }
        let args = fields["args"].map { templatedList($0, fields.path("args"), allowEmpty: true) } ?? []
        let port = fields["port"].map { portNumber($0, fields.path("port")) } ?? SpecDefaults.port
        let env = fields["env"].map { decodeEnvironment($0, fields.path("env")) } ?? []
        let resources = fields["resources"].map { decodeResources($0, fields.path("resources")) } ?? ResourceRequirements()
        let readinessPath = fields["readinessPath"].map { httpPath($0, fields.path("readinessPath")) } ?? SpecDefaults.readinessPath
        let livenessPath = fields["livenessPath"].map { httpPath($0, fields.path("livenessPath")) } ?? SpecDefaults.livenessPath
        let metricsPath = fields["metricsPath"].map { httpPath($0, fields.path("metricsPath")) }
        let metricsPort = fields["metricsPort"].map { portNumber($0, fields.path("metricsPort")) }
        guard fields["image"] != nil || fields["command"] != nil, image != .some(nil), command != .some(nil),
              let args, let port, let env, let resources, let readinessPath, let livenessPath,
              metricsPath != .some(nil), metricsPort != .some(nil) else { return nil }
        return RuntimeSpec(image: image ?? nil, command: command ?? nil, args: args, port: port, env: env, resources: resources,
                           readinessPath: readinessPath, livenessPath: livenessPath, metricsPath: metricsPath ?? nil,
                           metricsPort: metricsPort ?? nil)
    }

    private mutating func portNumber(_ node: YAMLNode, _ path: FieldPath) -> Int? {
        reader.integer(node, path, in: 1...65535, expected: "a port number from 1 to 65535")
    }

    private mutating func httpPath(_ node: YAMLNode, _ path: FieldPath) -> String? {
        reader.text(node, path, expected: "an absolute URL path", problem: Names.httpPathProblem)
    }

    private mutating func templatedList(_ node: YAMLNode, _ path: FieldPath, allowEmpty: Bool) -> [String]? {
        let expected = "a list of strings, e.g. [mlserver, start, .]"
        guard let items = reader.list(node, path, expected: expected) else { return nil }
        if items.isEmpty && !allowEmpty {
            reader.mismatch(node, path, expected: "at least one string: the program to run")
            return nil
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let value = templated(item, path[index]) else { continue }
            result.append(value)
        }
        return result.count == items.count ? result : nil
    }

    /// A string whose `{{placeholders}}` must all be known.
    private mutating func templated(_ node: YAMLNode, _ path: FieldPath) -> String? {
        guard let value = reader.text(node, path, expected: "a string") else { return nil }
        switch Template.placeholders(in: value) {
        case .failure(.unclosed):
            reader.mismatch(node, path, expected: "every {{ closed by }}")
            return nil
        case .success(let names):
            let known = RuntimeSpec.templatePlaceholders
            if let unknown = names.first(where: { !known.contains($0) }) {
                let options = known.map { "{{\($0)}}" }.joined(separator: ", ")
                reader.report(at: node.mark, path, "unknown placeholder {{\(unknown)}}, expected one of \(options)",
                              hint: Suggestion.closest(to: unknown, in: known).map { "did you mean {{\($0)}}?" })
                return nil
            }
            return value
        }
    }

    private mutating func decodeEnvironment(_ node: YAMLNode, _ path: FieldPath) -> [EnvironmentVariable]? {
        let expected = "a list of {name, value} items"
        guard let items = reader.list(node, path, expected: expected) else { return nil }
        var result: [EnvironmentVariable] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            guard let fields = reader.object(item, path[index], fields: ["name", "value"], expected: "a mapping with name and value"),
                  let name = reader.required(fields, "name", expected: "an environment variable name").flatMap({
                      reader.text($0, fields.path("name"), expected: "a name", problem: Names.environmentNameProblem)
                  }) else { continue }
            if let first = seen[name] {
                reader.report(at: item.mark, fields.path("name"), "duplicate environment variable \"\(name)\", first set in \(path[first])")
                continue
            }
            seen[name] = index
            guard let value = fields["value"].map({ templated($0, fields.path("value")) }) ?? "" else { continue }
            result.append(EnvironmentVariable(name: name, value: value))
        }
        return result.count == items.count ? result : nil
    }

    private mutating func decodeResources(_ node: YAMLNode, _ path: FieldPath) -> ResourceRequirements? {
        guard let fields = reader.object(node, path, fields: ["cpu", "memory", "gpu", "limits"],
                                         expected: "a mapping of cpu, memory, gpu and limits") else { return nil }
        let cpu = fields["cpu"].map { reader.quantity($0, fields.path("cpu")) }
        let memory = fields["memory"].map { reader.quantity($0, fields.path("memory"), hint: Self.memoryHint) }
        let gpu = fields["gpu"].map { reader.integer($0, fields.path("gpu"), in: 0...64, expected: "a whole number of GPUs from 0 to 64") }
        var limits = ResourceLimits()
        var limitsValid = true
        if let node = fields["limits"] {
            let limitsPath = fields.path("limits")
            if let limitFields = reader.object(node, limitsPath, fields: ["cpu", "memory"], expected: "a mapping of cpu and memory") {
                let cpuLimit = limitFields["cpu"].map { reader.quantity($0, limitFields.path("cpu")) }
                let memoryLimit = limitFields["memory"].map { reader.quantity($0, limitFields.path("memory"), hint: Self.memoryHint) }
                limitsValid = cpuLimit != .some(nil) && memoryLimit != .some(nil)
                limits = ResourceLimits(cpu: cpuLimit ?? nil, memory: memoryLimit ?? nil)
                for (name, request, limit) in [("cpu", cpu ?? nil, limits.cpu), ("memory", memory ?? nil, limits.memory)] {
                    if let request, let limit, limit.value < request.value, let limitNode = limitFields[name] {
                        reader.mismatch(limitNode, limitFields.path(name), expected: "a limit no lower than the request (\(request))")
                        limitsValid = false
                    }
                }
            } else {
                limitsValid = false
            }
        }
        guard cpu != .some(nil), memory != .some(nil), gpu != .some(nil), limitsValid else { return nil }
        return ResourceRequirements(cpu: cpu ?? nil, memory: memory ?? nil, gpu: gpu ?? nil, limits: limits)
    }

    /// `512m` of memory is half a byte: almost always a misspelt `512Mi`.
    private static func memoryHint(_ quantity: Quantity) -> String? {
        guard quantity.value < 1024 else { return nil }
        let number = quantity.text.prefix { $0.isNumber || $0 == "." }
        return quantity.text.hasSuffix("m") ? "\(quantity.text) of memory is \(quantity.value) bytes; did you mean \(number)Mi?" : nil
    }

    // MARK: traffic

    private mutating func decodeTraffic(_ node: YAMLNode, _ path: FieldPath, defaultName: String?) -> TrafficSpec? {
        guard let fields = reader.object(node, path, fields: ["provider", "gatewayAPI", "istio"],
                                         expected: "a mapping with provider and its settings") else { return nil }
        var provider = fields["provider"].map { reader.choice($0, fields.path("provider"), of: TrafficProvider.self) }
        if provider == .some(nil) { return nil }
        let settings = [("gatewayAPI", TrafficProvider.gatewayAPI), ("istio", TrafficProvider.istio)].filter { fields[$0.0] != nil }
        if let explicit = provider ?? nil {
            for (key, owner) in settings where owner != explicit {
                reader.report(at: fields.keyMark(key), fields.path(key),
                              "found \(key) settings, expected none: provider is \(explicit.rawValue)",
                              hint: "remove \(key), or set provider: \(owner.rawValue)")
                return nil
            }
        } else if settings.count > 1 {
            reader.report(at: fields.keyMark("istio"), fields.path("istio"),
                          "found both gatewayAPI and istio settings, expected the settings of one provider",
                          hint: "set provider to the one in use and remove the other")
            return nil
        } else if let only = settings.first {
            provider = only.1
        }
        var traffic = TrafficSpec(provider: provider ?? nil)
        let name = defaultName ?? ""
        if traffic.provider == .gatewayAPI {
            let settingsPath = fields.path("gatewayAPI")
            let gateway = fields["gatewayAPI"]
            let object = gateway.flatMap { reader.object($0, settingsPath, fields: ["route", "namespace"], expected: "a mapping with route") }
            if gateway != nil && object == nil { return nil }
            let route = object?["route"].map { reader.text($0, settingsPath / "route", expected: Names.dnsSubdomainRule, problem: Names.dnsSubdomainProblem) } ?? name
            let namespace = object?["namespace"].map { reader.text($0, settingsPath / "namespace", expected: Names.dnsLabelRule, problem: Names.dnsLabelProblem) }
            guard let route, namespace != .some(nil) else { return nil }
            traffic.gatewayAPI = GatewayAPITraffic(route: route, namespace: namespace ?? nil)
        }
        if traffic.provider == .istio {
            let settingsPath = fields.path("istio")
            let istio = fields["istio"]
            let object = istio.flatMap { reader.object($0, settingsPath, fields: ["virtualService", "host"], expected: "a mapping with virtualService") }
            if istio != nil && object == nil { return nil }
            let service = object?["virtualService"].map { reader.text($0, settingsPath / "virtualService", expected: Names.dnsSubdomainRule, problem: Names.dnsSubdomainProblem) } ?? name
            let host = object?["host"].map { reader.text($0, settingsPath / "host", expected: "a host name", problem: Names.dnsSubdomainProblem) }
            guard let service, host != .some(nil) else { return nil }
            traffic.istio = IstioTraffic(virtualService: service, host: host ?? nil)
        }
        return traffic
    }

    // MARK: rollout

    private mutating func decodeRollout(_ node: YAMLNode, _ path: FieldPath) -> RolloutSpec? {
        let known = ["strategy", "steps", "interval", "maxFailedChecks", "maxInconclusiveChecks", "minRequests", "progressDeadline",
                     "metrics", "gates", "approval"]
        guard let fields = reader.object(node, path, fields: known, expected: "a mapping with strategy, steps and gates") else { return nil }
        let strategy = fields["strategy"].map { reader.choice($0, fields.path("strategy"), of: RolloutStrategy.self) } ?? SpecDefaults.strategy
        var steps: [Int]? = SpecDefaults.steps
        if let stepsNode = fields["steps"] {
            if let strategy, strategy != .canary {
                reader.report(at: fields.keyMark("steps"), fields.path("steps"),
                              "found steps, expected none: steps apply only to the canary strategy, and strategy is \(strategy.rawValue)",
                              hint: "remove steps, or set strategy: canary")
                steps = nil
            } else {
                steps = decodeSteps(stepsNode, fields.path("steps"))
            }
        } else if let strategy, strategy != .canary {
            steps = [100]
        }
        let interval = fields["interval"].map {
            reader.duration($0, fields.path("interval"), atLeast: SpecDefaults.minimumInterval)
        } ?? SpecDefaults.interval
        let maxFailedChecks = fields["maxFailedChecks"].map {
            reader.integer($0, fields.path("maxFailedChecks"), in: 1...1_000, expected: "a whole number of checks from 1 to 1000")
        } ?? SpecDefaults.maxFailedChecks
        let maxInconclusiveChecks = fields["maxInconclusiveChecks"].map {
            reader.integer($0, fields.path("maxInconclusiveChecks"), in: 1...1_000, expected: "a whole number of checks from 1 to 1000")
        } ?? SpecDefaults.maxInconclusiveChecks
        let minRequests = fields["minRequests"].map {
            reader.integer($0, fields.path("minRequests"), in: 0...Int(Int32.max), expected: "a whole number of requests, 0 or more")
        } ?? SpecDefaults.minRequests
        let progressDeadline = fields["progressDeadline"].map {
            reader.duration($0, fields.path("progressDeadline"), atLeast: SpecDefaults.minimumInterval)
        } ?? SpecDefaults.progressDeadline
        let metrics = fields["metrics"].map { decodeMetrics($0, fields.path("metrics")) } ?? SpecDefaults.metricsSource
        let gates = fields["gates"].map { decodeGates($0, fields.path("gates"), metrics: metrics, strategy: strategy) } ?? []
        var approval: ApprovalSpec?? = .some(nil)
        if let node = fields["approval"], let steps {
            approval = decodeApproval(node, fields.path("approval"), steps: steps, strategy: strategy)
        }
        guard let strategy, let steps, let interval, let maxFailedChecks, let maxInconclusiveChecks, let minRequests, let progressDeadline,
              let metrics, let gates, let approval else { return nil }
        return RolloutSpec(strategy: strategy, steps: steps, interval: interval, maxFailedChecks: maxFailedChecks,
                           maxInconclusiveChecks: maxInconclusiveChecks, minRequests: minRequests,
                           progressDeadline: progressDeadline, metrics: metrics, gates: gates, approval: approval)
    }

    private mutating func decodeSteps(_ node: YAMLNode, _ path: FieldPath) -> [Int]? {
        guard let items = reader.list(node, path, expected: "a list of percentages such as [10, 25, 50, 100]") else { return nil }
        guard !items.isEmpty else {
            reader.mismatch(node, path, expected: "at least one step, the last being 100")
            return nil
        }
        var steps: [Int] = []
        for (index, item) in items.enumerated() {
            guard let step = reader.integer(item, path[index], in: 1...100, expected: "a whole percentage from 1 to 100",
                                            hint: Self.percentHint) else { return nil }
            if let previous = steps.last, step <= previous {
                reader.mismatch(item, path[index], expected: "a step above the previous one (\(previous))",
                                hint: "steps must increase strictly")
                return nil
            }
            steps.append(step)
        }
        if let last = steps.last, last != 100, let lastNode = items.last {
            reader.mismatch(lastNode, path[items.count - 1], expected: "the last step to be 100, when all traffic moves to the new version",
                            hint: "append 100")
            return nil
        }
        return steps
    }

    private static func percentHint(_ text: String) -> String? {
        if text.hasSuffix("%"), let value = Int(text.dropLast()) { return "write \(value) without the '%'" }
        if let fraction = Double(text), fraction > 0, fraction < 1 {
            return "steps are percentages: did you mean \(Int((fraction * 100).rounded()))?"
        }
        return nil
    }

    private mutating func decodeApproval(_ node: YAMLNode, _ path: FieldPath, steps: [Int], strategy: RolloutStrategy?) -> ApprovalSpec?? {
        guard let fields = reader.object(node, path, fields: ["before"], expected: "a mapping with before: <step percentage>"),
              let beforeNode = reader.required(fields, "before", expected: "the step percentage that waits for approval"),
              let before = reader.integer(beforeNode, fields.path("before"), in: 1...100, expected: "a whole percentage from 1 to 100",
                                          hint: Self.percentHint) else { return nil }
        guard steps.contains(before) else {
            let expected = steps == [100]
                ? "100: a \(strategy?.rawValue ?? "non-canary") rollout moves all traffic at once"
                : "one of the steps (\(steps.map(String.init).joined(separator: ", ")))"
            reader.mismatch(beforeNode, fields.path("before"), expected: expected)
            return nil
        }
        return .some(ApprovalSpec(before: before))
    }

    // MARK: gates

    /// `metrics` and `strategy` are nil when they failed to decode (already reported): checks that need them are
    /// skipped rather than piling up follow-on errors.
    private mutating func decodeGates(_ node: YAMLNode, _ path: FieldPath, metrics: MetricsSource?,
                                      strategy: RolloutStrategy?) -> [Gate]? {
        guard let items = reader.list(node, path, expected: "a list of gates") else { return nil }
        var gates: [Gate] = []
        var names: [String: (index: Int, line: Int)] = [:]
        for (index, item) in items.enumerated() {
            guard let gate = decodeGate(item, path[index], metrics: metrics, strategy: strategy) else { continue }
            if let first = names[gate.name] {
                reader.report(at: item.mark, path[index], "gate name \"\(gate.name)\" is already used by \(path[first.index]) at line \(first.line)",
                              hint: "give each gate a distinct name")
                continue
            }
            names[gate.name] = (index, item.mark.line)
            gates.append(gate)
        }
        return gates.count == items.count ? gates : nil
    }

    private mutating func decodeGate(_ node: YAMLNode, _ path: FieldPath, metrics: MetricsSource?, strategy: RolloutStrategy?) -> Gate? {
        let kinds = GateCheck.kinds
        guard let fields = reader.object(node, path, fields: ["name"] + kinds,
                                         expected: "a gate: one of \(kinds.joined(separator: ", "))") else { return nil }
        let present = kinds.filter { fields.pairs[$0] != nil }
        guard let kind = present.first else {
            if !fields.misspelt.isDisjoint(with: kinds) { return nil }
            reader.report(at: node.mark, path, "found a gate with no check, expected exactly one of \(kinds.joined(separator: ", "))")
            return nil
        }
        if present.count > 1 {
            reader.report(at: fields.keyMark(present[1]), path,
                          "found both \(present[0]) and \(present[1]) in one gate, expected exactly one check per gate",
                          hint: "put each check in its own list item")
            return nil
        }
        let body = fields.pairs[kind]?.value ?? node
        let bodyPath = fields.path(kind)
        let bodyFields: [String] = switch kind {
        case "successRate": ["name", "min", "relativeTo", "maxDrop"]
        case "latency": ["name", "quantile", "max", "relativeTo", "maxIncrease"]
        case "prometheus": ["name", "query", "min", "max"]
        default: ["name", "url", "timeout", "metadata", "secret"]
        }
        guard let check = reader.object(body, bodyPath, fields: bodyFields, expected: "a mapping of \(bodyFields.dropFirst().joined(separator: ", "))")
        else { return nil }

        var name: String? = kind
        let outerName = fields["name"]
        let innerName = check["name"]
        if outerName != nil, innerName != nil {
            reader.report(at: check.keyMark("name"), bodyPath / "name", "found a second name, expected the gate's name once",
                          hint: "keep either \(path / "name") or \(bodyPath / "name")")
            name = nil
        } else if let nameNode = outerName ?? innerName {
            name = reader.text(nameNode, outerName != nil ? fields.path("name") : bodyPath / "name", expected: "a gate name",
                               problem: Names.gateNameProblem)
        }

        let gateCheck: GateCheck?
        switch kind {
        case "successRate":
            gateCheck = decodeSuccessRateGate(check, bodyPath)
        case "latency":
            gateCheck = decodeLatencyGate(check, bodyPath)
        case "prometheus":
            gateCheck = decodePrometheusGate(check, bodyPath)
        default:
            gateCheck = decodeWebhookGate(check, bodyPath)
        }
        if kind == "successRate" || kind == "latency", let metrics, let limitation = metrics.limitation(forGate: kind) {
            let hint = switch metrics {
            case .custom: "add a \(kind) template to spec.rollout.metrics"
            default: "use source serin or istio, whose histograms give quantiles, or source custom with a latency template"
            }
            reader.report(at: fields.keyMark(kind), bodyPath, "metrics source \(metrics.name) cannot measure \(kind): \(limitation)",
                          hint: hint)
            return nil
        }
        if let strategy, strategy == .recreate, check["relativeTo"] != nil {
            reader.report(at: check.keyMark("relativeTo"), bodyPath / "relativeTo",
                          "found relativeTo, expected none: strategy recreate stops the stable version before the new one starts, so no stable traffic runs beside it to compare with",
                          hint: "hold the version to absolute bounds, or use strategy canary")
            return nil
        }
        guard let name, let gateCheck else { return nil }
        return Gate(name: name, check: gateCheck)
    }

    private mutating func decodePrometheusGate(_ check: ObjectFields, _ path: FieldPath) -> GateCheck? {
        let query = reader.required(check, "query", expected: "a PromQL query returning one number").flatMap {
            reader.text($0, path / "query", expected: "a PromQL query",
                        problem: { $0.allSatisfy(\.isWhitespace) ? "a non-empty PromQL query" : nil })
        }
        let bounds = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        let minimum = check["min"].map { reader.number($0, path / "min", in: bounds, expected: "a number") }
        let maximum = check["max"].map { reader.number($0, path / "max", in: bounds, expected: "a number") }
        if minimum == nil && maximum == nil {
            reader.report(at: check.node.mark, path, "found neither min nor max, expected at least one bound for the query's value")
            return nil
        }
        if let low = minimum ?? nil, let high = maximum ?? nil, low > high, let maxNode = check["max"] {
            reader.mismatch(maxNode, path / "max", expected: "a value no lower than min (\(Self.format(low)))")
            return nil
        }
        guard let query, minimum != .some(nil), maximum != .some(nil) else { return nil }
        return .prometheus(query: query, min: minimum ?? nil, max: maximum ?? nil)
    }

    private mutating func decodeSuccessRateGate(_ check: ObjectFields, _ path: FieldPath) -> GateCheck? {
        let minimum = check["min"].map {
            reader.number($0, path / "min", in: 0...1, expected: "a fraction from 0 to 1", hint: Self.fractionHint)
        }
        let drop = decodeRelativeBound(check, path, allowance: "maxDrop", range: 0...1,
                                       expected: "the largest drop below the stable version's rate, a fraction from 0 to 1 such as 0.01",
                                       hint: Self.fractionHint)
        if minimum == nil, drop == nil {
            reader.report(at: check.node.mark, path,
                          "found neither min nor relativeTo, expected min (the lowest acceptable success rate, a fraction such as 0.99), relativeTo: stable with maxDrop, or both")
            return nil
        }
        guard minimum != .some(nil), drop != .some(nil) else { return nil }
        return .successRate(SuccessRateCheck(min: minimum ?? nil, maxDropFromStable: drop ?? nil))
    }

    private mutating func decodeLatencyGate(_ check: ObjectFields, _ path: FieldPath) -> GateCheck? {
        let quantile = check["quantile"].map {
            reader.number($0, path / "quantile", in: 0.000_001...1, expected: "a quantile above 0 and at most 1", hint: Self.fractionHint)
        } ?? SpecDefaults.latencyQuantile
        let maximum = check["max"].map {
            reader.duration($0, path / "max", atLeast: SpecDuration(milliseconds: 1))
        }
        let increase = decodeRelativeBound(check, path, allowance: "maxIncrease", range: 0...10,
                                           expected: "the largest increase over the stable version's latency, a fraction from 0 to 10 such as 0.2 for 20% slower",
                                           hint: Self.increaseHint)
        if maximum == nil, increase == nil {
            reader.report(at: check.node.mark, path,
                          "found neither max nor relativeTo, expected max (the highest acceptable latency, e.g. 250ms), relativeTo: stable with maxIncrease, or both")
            return nil
        }
        guard let quantile, maximum != .some(nil), increase != .some(nil) else { return nil }
        return .latency(LatencyCheck(quantile: quantile, max: maximum ?? nil, maxIncreaseOverStable: increase ?? nil))
    }

    /// `relativeTo: stable` with its allowance field. Nil when neither is written; `.some(nil)` when either is wrong
    /// (reported); otherwise the allowance.
    private mutating func decodeRelativeBound(_ check: ObjectFields, _ path: FieldPath, allowance field: String,
                                              range: ClosedRange<Double>, expected: String,
                                              hint: @escaping (Double) -> String?) -> Double?? {
        guard let baselineNode = check["relativeTo"] else {
            if check.pairs[field] != nil {
                reader.report(at: check.keyMark(field), path / field,
                              "found \(field) without relativeTo, expected relativeTo: stable beside it",
                              hint: "add relativeTo: stable, or remove \(field)")
                return .some(nil)
            }
            return nil
        }
        let baseline = reader.choice(baselineNode, path / "relativeTo", of: GateBaseline.self)
        let allowance = reader.required(check, field, expected: expected).flatMap {
            reader.number($0, path / field, in: range, expected: expected, hint: hint)
        }
        guard baseline != nil, let allowance else { return .some(nil) }
        return .some(allowance)
    }

    private mutating func decodeWebhookGate(_ check: ObjectFields, _ path: FieldPath) -> GateCheck? {
        let url = reader.required(check, "url", expected: "the webhook's http:// or https:// URL").flatMap {
            reader.text($0, path / "url", expected: "an http:// or https:// URL with a host", problem: Self.webhookURLProblem)
        }
        let timeout = check["timeout"].map {
            reader.duration($0, path / "timeout", atLeast: SpecDuration(milliseconds: 1), atMost: .minutes(60))
        } ?? SpecDefaults.webhookTimeout
        let metadata = check["metadata"].map {
            reader.stringMap($0, path / "metadata", expected: "a mapping of strings sent with the request")
        } ?? [:]
        let secret = check["secret"].map { decodeWebhookSecret($0, path / "secret") }
        guard let url, let timeout, let metadata, secret != .some(nil) else { return nil }
        return .webhook(WebhookCheck(url: url, timeout: timeout, metadata: metadata, secret: secret ?? nil))
    }

    /// `secret: {file: PATH}` or `secret: {env: NAME}`. An inline value is refused without being repeated: it is a
    /// key that should never have been committed, and diagnostics end up in CI logs.
    private mutating func decodeWebhookSecret(_ node: YAMLNode, _ path: FieldPath) -> WebhookSecret? {
        let expected = "a mapping with file or env naming where the signing key is kept"
        guard case .mapping = node.content else {
            if node.scalarText != nil {
                reader.report(at: node.mark, path, "found an inline value, expected \(expected): the key itself never goes in Git",
                              hint: "put the key in a file or an environment variable of Serin, name it here (secret: {file: /var/run/secrets/serin/webhook}), and rotate it: it is in the repository's history now")
            } else {
                reader.mismatch(node, path, expected: expected)
            }
            return nil
        }
        guard let fields = reader.object(node, path, fields: ["file", "env"], expected: expected) else { return nil }
        switch (fields["file"], fields["env"]) {
        case (let file?, nil):
            return reader.text(file, path / "file", expected: "an absolute file path",
                               problem: { $0.hasPrefix("/") ? nil : "an absolute file path" }).map(WebhookSecret.file)
        case (nil, let variable?):
            return reader.text(variable, path / "env", expected: "an environment variable name",
                               problem: Names.environmentNameProblem).map(WebhookSecret.environment)
        case (_?, _?):
            reader.report(at: fields.keyMark("env"), path, "found both file and env, expected exactly one place for the key")
            return nil
        case (nil, nil):
            if !fields.misspelt.isDisjoint(with: ["file", "env"]) { return nil }
            reader.report(at: node.mark, path, "found neither file nor env, expected \(expected)")
            return nil
        }
    }

    // MARK: metrics

    /// `rollout.metrics`: a built-in source by name, or `custom` with PromQL templates (implied when templates are
    /// written without a source).
    private mutating func decodeMetrics(_ node: YAMLNode, _ path: FieldPath) -> MetricsSource? {
        let templateFields = ["requests", "successRate", "latency"]
        guard let fields = reader.object(node, path, fields: ["source"] + templateFields,
                                         expected: "a mapping with source (\(MetricsSource.names.joined(separator: ", ")))") else { return nil }
        let written = templateFields.filter { fields.pairs[$0] != nil }
        var name: String?
        if let sourceNode = fields["source"] {
            let options = MetricsSource.names
            guard let text = reader.text(sourceNode, path / "source", expected: "one of \(options.joined(separator: ", "))") else { return nil }
            guard options.contains(text) else {
                reader.mismatch(sourceNode, path / "source", expected: "one of \(options.joined(separator: ", "))",
                                hint: Suggestion.closest(to: text, in: options).map { "did you mean \"\($0)\"?" })
                return nil
            }
            name = text
        } else {
            name = written.isEmpty ? SpecDefaults.metricsSource.name : "custom"
        }
        switch name {
        case "custom":
            let requests = reader.required(fields, "requests", expected: "a PromQL template for the number of requests a version received, such as sum(increase(http_requests_total{version=\"{{version}}\"}[{{interval}}]))").flatMap {
                metricTemplate($0, path, field: "requests")
            }
            let successRate = fields["successRate"].map { metricTemplate($0, path, field: "successRate") }
            let latency = fields["latency"].map { metricTemplate($0, path, field: "latency") }
            guard let requests, successRate != .some(nil), latency != .some(nil) else { return nil }
            return .custom(CustomMetricTemplates(requests: requests, successRate: successRate ?? nil, latency: latency ?? nil))
        default:
            if let first = written.first, let name {
                reader.report(at: fields.keyMark(first), path / first, "found \(first), expected none: templates apply only to source custom, and source is \(name)",
                              hint: "remove \(first), or set source: custom")
                return nil
            }
            switch name {
            case "mlserver": return .mlserver
            case "torchserve": return .torchserve
            case "istio": return .istio
            default: return .serin
            }
        }
    }

    /// A PromQL template: known placeholders only, `{{version}}` always (else canary and stable would measure the
    /// same series), `{{quantile}}` in the latency template and nowhere else.
    private mutating func metricTemplate(_ node: YAMLNode, _ metricsPath: FieldPath, field: String) -> String? {
        let path = metricsPath / field
        let quantile = field == "latency"
        guard let value = reader.text(node, path, expected: "a PromQL template",
                                      problem: { $0.allSatisfy(\.isWhitespace) ? "a non-empty PromQL template" : nil }) else { return nil }
        switch Template.placeholders(in: value) {
        case .failure(.unclosed):
            reader.mismatch(node, path, expected: "every {{ closed by }}")
            return nil
        case .success(let names):
            let known = CustomMetricTemplates.placeholders
            if let unknown = names.first(where: { !known.contains($0) }) {
                let options = known.map { "{{\($0)}}" }.joined(separator: ", ")
                reader.report(at: node.mark, path, "unknown placeholder {{\(unknown)}}, expected one of \(options)",
                              hint: Suggestion.closest(to: unknown, in: known).map { "did you mean {{\($0)}}?" })
                return nil
            }
            if !names.contains("version") {
                reader.report(at: node.mark, path,
                              "found no {{version}} placeholder, expected the \(field) template to select one version's series: without it the canary and the stable version measure the same traffic")
                return nil
            }
            if quantile, !names.contains("quantile") {
                reader.report(at: node.mark, path,
                              "found no {{quantile}} placeholder, expected the latency template to take the gate's quantile, as in histogram_quantile({{quantile}}, ...)")
                return nil
            }
            if !quantile, names.contains("quantile") {
                reader.report(at: node.mark, path, "found {{quantile}} in the \(field) template, expected it only in the latency template")
                return nil
            }
            return value
        }
    }

    private static func webhookURLProblem(_ url: String) -> String? {
        let rule = "an http:// or https:// URL with a host"
        for scheme in ["http://", "https://"] where url.hasPrefix(scheme) {
            let host = url.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" }
            return host.isEmpty || url.contains(where: \.isWhitespace) ? rule : nil
        }
        return rule
    }

    /// `maxIncrease: 20` most likely means 20%.
    private static func increaseHint(_ value: Double) -> String? {
        guard value > 10, value <= 100 else { return nil }
        return "did you mean \(format(value / 100))? maxIncrease is a fraction of the stable version's latency: divide by 100"
    }

    /// A rate written as a percentage (`99`) is the most common slip: suggest the fraction.
    private static func fractionHint(_ value: Double) -> String? {
        guard value > 1, value <= 100 else { return nil }
        return "did you mean \(format(value / 100))? Rates and quantiles are fractions: divide by 100"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}

/// `{{name}}` placeholders in runtime templates.
enum Template {
    enum Problem: Error { case unclosed }

    /// The names inside `{{ }}`, trimmed of spaces, in order of appearance.
    static func placeholders(in text: String) -> Result<[String], Problem> {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { return .failure(.unclosed) }
            let inner = rest[open.upperBound..<close.lowerBound]
            names.append(String(inner.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()))
            rest = rest[close.upperBound...]
        }
        return .success(names)
    }
}
