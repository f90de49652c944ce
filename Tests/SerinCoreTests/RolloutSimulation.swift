import SerinCore

/// A ModelDeployment for rollout tests, built from the YAML a user would write.
func rolloutDeployment(version: String = "2", strategy: String = "canary", steps: [Int]? = [10, 50, 100],
                       interval: String = "1m", gates: [String] = ["successRate: {min: 0.99}"],
                       approvalBefore: Int? = nil, maxFailedChecks: Int = 2, maxInconclusiveChecks: Int = 3,
                       progressDeadline: String = "5m", replicas: Int = 2, labels: String = "",
                       image: String = "seldonio/mlserver:1.7.1") -> ModelDeployment {
    var yaml = """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata:
      name: iris
      namespace: ml
    \(labels.isEmpty ? "" : "  labels: {\(labels)}\n")spec:
      model:
        version: "\(version)"
        uri: s3://models/iris/\(version)
      runtime:
        image: \(image)
      replicas: \(replicas)
      rollout:
        strategy: \(strategy)
        interval: \(interval)
        maxFailedChecks: \(maxFailedChecks)
        maxInconclusiveChecks: \(maxInconclusiveChecks)
        progressDeadline: \(progressDeadline)

    """
    if let steps, strategy == "canary" { yaml += "    steps: [\(steps.map(String.init).joined(separator: ", "))]\n" }
    if gates.isEmpty {
        yaml += "    gates: []\n"
    } else {
        yaml += "    gates:\n" + gates.map { "      - \($0)\n" }.joined()
    }
    if let approvalBefore { yaml += "    approval: {before: \(approvalBefore)}\n" }
    let decoding = decode(yaml)
    guard let deployment = decoding.state.deployments.first, decoding.isValid else {
        preconditionFailure("fixture does not decode: \(decoding.diagnostics.map(located))")
    }
    return deployment
}

/// Drives the rollout machine the way the operator's shell does: gathers an observation (the time, the workloads'
/// readiness as the simulated runtime reports it, gate results when a check is due, approvals), decides, performs
/// the actions on a simulated runtime, and keeps the decided status as the ledger would.
struct RolloutSimulation {
    var desired: ModelDeployment?
    var status: RolloutStatus?
    var now = Timestamp(secondsSinceEpoch: 1_795_918_800)
    var commit = "0123456789abcdef0123456789abcdef01234567"

    /// Revisions (by digest) whose workloads report ready as soon as they exist.
    var readyDigests: Set<String> = []
    /// Revisions whose workloads crash, with the runtime's message.
    var crashedDigests: [String: String] = [:]
    var approvals: Set<String> = []
    /// What each gate reports at a check, by gate name; gates not named pass.
    var verdicts: [String: GateResult.Verdict] = [:]

    /// The simulated runtime: workloads by digest with their replicas, and the last traffic split.
    var workloads: [String: (revision: ServingRevision, replicas: Int)] = [:]
    var traffic = TrafficSplit.none
    var decisions: [RolloutDecision] = []
    var checks: [GateContext] = []

    init(_ desired: ModelDeployment?, status: RolloutStatus? = nil) {
        self.desired = desired
        self.status = status
    }

    func observation() -> RolloutObservation {
        var observed: [String: WorkloadObservation] = [:]
        for (digest, workload) in workloads {
            if let message = crashedDigests[digest] {
                observed[digest] = WorkloadObservation(isReady: false, hasFailed: true, message: message)
            } else {
                observed[digest] = WorkloadObservation(isReady: workload.replicas > 0 && readyDigests.contains(digest))
            }
        }
        return RolloutObservation(now: now, desiredCommit: commit, workloads: observed, approvedVersions: approvals)
    }

    func gateResults(for context: GateContext) -> [GateResult] {
        (desired?.spec.rollout.gates ?? []).map { gate in
            let verdict = verdicts[gate.name] ?? .pass
            return GateResult(gate: gate, verdict: verdict, value: verdict == .inconclusive ? nil : (verdict == .pass ? 0.999 : 0.9),
                              message: verdict == .inconclusive ? "only 3 requests, fewer than minRequests 20" : nil)
        }
    }

    /// One reconcile: observe, decide, act, record.
    @discardableResult
    mutating func reconcile() -> RolloutDecision {
        var observed = observation()
        if let context = RolloutMachine.gateCheckDue(desired: desired, status: status, now: now) {
            checks.append(context)
            observed.gateResults = gateResults(for: context)
        }
        let decision = RolloutMachine.decide(desired: desired, status: status, observation: observed)
        perform(decision.actions)
        status = decision.status
        decisions.append(decision)
        return decision
    }

    mutating func perform(_ actions: [RolloutAction]) {
        for action in actions {
            switch action {
            case .deploy(let revision, let replicas): workloads[revision.digest] = (revision, replicas)
            case .scale(let revision, let replicas): if workloads[revision.digest] != nil { workloads[revision.digest]?.replicas = replicas }
            case .route(let split): traffic = split
            case .remove(let revision): workloads[revision.digest] = nil
            }
        }
    }

    mutating func advance(seconds: Int64) {
        now = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + seconds * 1_000)
    }

    /// Reconciles at every requested decision time (or every `step` seconds) until `seconds` have passed.
    mutating func run(for seconds: Int64, step: Int64 = 60) {
        let end = now.millisecondsSinceEpoch + seconds * 1_000
        reconcile()
        while now.millisecondsSinceEpoch < end {
            advance(seconds: step)
            reconcile()
        }
    }

    /// Reconciles at once until nothing changes any more (promotions and rollbacks take two decisions).
    mutating func settle() {
        for _ in 0..<10 where reconcile().isTransition {}
    }

    /// Makes the desired revision's workload report ready once it exists.
    mutating func becomeReady() {
        if let revision = desired?.revision { readyDigests.insert(revision.digest) }
    }

    /// Starts the rollout of the desired revision: its workload is created, reports ready, and the machine sees it.
    mutating func startRollout() {
        reconcile()
        becomeReady()
        reconcile()
    }

    /// The share of traffic each version takes, as a router would split it.
    var weights: [String: Int] {
        var result: [String: Int] = [:]
        if let stable = traffic.stable {
            result[stable.version, default: 0] += traffic.canary == nil ? 100 : 100 - traffic.canaryWeight
            if let canary = traffic.canary { result[canary.version, default: 0] += traffic.canaryWeight }
        } else if let canary = traffic.canary {
            result[canary.version] = 100
        }
        return result.filter { $0.value > 0 }
    }

    var phases: [RolloutPhase] { decisions.filter(\.isTransition).compactMap { $0.status?.phase } }
}

/// A stable version 1, rolled out and serving all traffic, from which tests start a rollout of version 2.
func establishedSimulation(_ next: ModelDeployment, from stable: ModelDeployment? = nil) -> RolloutSimulation {
    var previous = stable ?? next
    if stable == nil {
        previous.spec.model.version = "1"
        if case .success(let uri) = ModelURI.parse("s3://models/iris/1") { previous.spec.model.uri = uri }
    }
    var simulation = RolloutSimulation(previous)
    simulation.readyDigests.insert(previous.revision.digest)
    simulation.settle()
    simulation.desired = next
    simulation.decisions = []
    simulation.checks = []
    return simulation
}
