/// The rollout state machine: from the desired ModelDeployment, the last recorded status and what was just observed,
/// the next status and the actions that get there.
///
/// Pure and deterministic: time comes in with the observation, and nothing is remembered between calls except
/// through the status, which the ledger records. So a restart at any point resumes from the recorded status, and
/// replaying a recorded sequence of observations reaches the same states.
///
/// The rules it keeps, whatever happens:
/// - traffic moves up only after a whole interval in which every gate passed; a failing or inconclusive gate holds
///   it where it is, and missing evidence never counts as a pass;
/// - a failure (a gate failing `maxFailedChecks` times in a row, `maxInconclusiveChecks` checks in a row without
///   evidence, a workload that crashes or misses its progress deadline) returns all traffic to the stable version
///   and ends Failed, with the evidence in the status;
/// - a Failed version is not tried again until the ModelDeployment's document changes;
/// - a new version in the middle of a rollout abandons the current canary and starts over from the first step;
/// - a workload the runtime lost (Serin restarted on one machine) is deployed again and its interval starts over:
///   that is not the canary's failure, and is not counted as one.
public enum RolloutMachine {
    /// The name of the gate the machine adds itself: the revision's workload must stay ready.
    public static let readinessGate = "readiness"

    /// The gate check the shell should measure and pass in `RolloutObservation.gateResults` before calling `decide`,
    /// if one is due now: while Progressing, once a whole interval has passed since `intervalStartedAt`, when the
    /// spec has gates. Nil otherwise.
    public static func gateCheckDue(desired: ModelDeployment?, status: RolloutStatus?, now: Timestamp) -> GateContext? {
        guard let desired, let status, status.phase == .Progressing, !desired.spec.rollout.gates.isEmpty,
              let canary = status.canaryRevision, canary == desired.revision,
              let started = status.intervalStartedAt, started + desired.spec.rollout.interval <= now else { return nil }
        return GateContext(key: desired.key, modelName: desired.spec.model.name, canaryVersion: canary.version,
                           stableVersion: status.stableVersion, canaryWeight: status.canaryWeight,
                           stepIndex: status.stepIndex, interval: desired.spec.rollout.interval)
    }

    /// Decides the next step. `desired` nil means the model was removed from Git and is to be pruned.
    public static func decide(desired: ModelDeployment?, status: RolloutStatus?, observation: RolloutObservation) -> RolloutDecision {
        var step = Step(previous: status, observation: observation)
        if let desired {
            step.reconcile(desired)
        } else {
            step.remove()
        }
        return step.decision()
    }
}

/// One decision in the making: the status so far and the actions gathered.
private struct Step {
    let previous: RolloutStatus?
    let observation: RolloutObservation
    var status: RolloutStatus?
    var actions: [RolloutAction] = []
    var nextDecisionAt: Timestamp?
    var checkedGates = false

    init(previous: RolloutStatus?, observation: RolloutObservation) {
        self.previous = previous
        self.observation = observation
        status = previous
    }

    var now: Timestamp { observation.now }

    func decision() -> RolloutDecision {
        let isTransition: Bool
        var status = status
        switch (previous, status) {
        case (nil, nil): isTransition = false
        case (let before?, var after?):
            after.updatedAt = before.updatedAt
            after.desiredCommit = before.desiredCommit
            isTransition = after != before
        default: isTransition = true
        }
        if isTransition {
            status?.updatedAt = now
            status?.desiredCommit = observation.desiredCommit
        }
        return RolloutDecision(status: status, actions: actions, isTransition: isTransition, nextDecisionAt: nextDecisionAt,
                               checkedGates: checkedGates)
    }

    // MARK: Removal

    mutating func remove() {
        guard var current = status else { return }
        actions.append(.route(.none))
        for revision in [current.canaryRevision, current.stableRevision].compactMap({ $0 }) {
            actions.append(.remove(revision))
        }
        guard current.phase != .Removed else { return }
        let what = current.rolloutVersion.map { " (\(LedgerCommitMessage.displayVersion($0)))" } ?? ""
        current.reason = "The ModelDeployment was removed from Git; its workloads\(what) were deleted."
        current.phase = .Removed
        current.canaryWeight = 0
        current.stepIndex = nil
        current.intervalStartedAt = nil
        status = current
    }

    // MARK: Reconciling with the desired document

    mutating func reconcile(_ desired: ModelDeployment) {
        let revision = desired.revision
        guard var current = status, current.phase != .Removed else {
            begin(desired, stable: nil, reason: "First deployment of \(display(revision)); it takes all traffic once ready.")
            return
        }
        switch current.phase {
        case .Succeeded:
            if current.stableRevision == revision {
                serveStable(desired)
            } else {
                begin(desired, stable: current.stableRevision, reason: rolloutReason(to: revision, from: current.stableRevision))
            }
        case .Failed, .Removed:
            if current.stableRevision == revision {
                if let failed = current.canaryRevision { actions.append(.remove(failed)) }
                current.phase = .Succeeded
                current.canaryVersion = nil
                current.canaryDigest = nil
                current.canaryWeight = 100
                current.gates = []
                current.reason = "The desired version is the stable version \(display(revision)) again."
                status = current
                serveStable(desired)
            } else if current.specDigest == desired.specDigest {
                // Never retried without a new commit of the document: Serin does not loop on a bad model.
                if let failed = current.canaryRevision { actions.append(.remove(failed)) }
                if current.stableRevision != nil { serveStable(desired) }
            } else {
                if let failed = current.canaryRevision { actions.append(.remove(failed)) }
                begin(desired, stable: current.stableRevision, reason: rolloutReason(to: revision, from: current.stableRevision))
            }
        case .Pending, .Progressing, .AwaitingApproval, .Promoting, .RollingBack:
            if current.phase != .RollingBack, let canary = current.canaryRevision, canary != revision {
                supersede(canary, by: desired)
                return
            }
            advance(desired)
        }
    }

    /// The steady state: the stable revision at full size with all traffic.
    mutating func serveStable(_ desired: ModelDeployment) {
        guard let stable = status?.stableRevision else { return }
        actions.append(.deploy(stable, replicas: desired.spec.replicas))
        actions.append(.route(.all(to: stable)))
    }

    /// Starts rolling `desired` out: its workload is created and nothing else changes until it is ready.
    mutating func begin(_ desired: ModelDeployment, stable: ServingRevision?, reason: String) {
        let revision = desired.revision
        status = RolloutStatus(
            key: desired.key, phase: .Pending, stableVersion: stable?.version, canaryVersion: revision.version,
            stableDigest: stable?.digest, canaryDigest: revision.digest, specDigest: desired.specDigest,
            canaryWeight: 0, desiredCommit: observation.desiredCommit, reason: reason, startedAt: now, updatedAt: now)
        advance(desired)
    }

    /// A new desired version arrived mid-rollout: the current canary is abandoned (all traffic back to stable, its
    /// workload deleted), then the new version starts from the beginning, or the stable version simply stays.
    mutating func supersede(_ abandoned: ServingRevision, by desired: ModelDeployment) {
        guard let current = status else { return }
        let revision = desired.revision
        let weight = current.canaryWeight
        if let stable = current.stableRevision {
            actions.append(.deploy(stable, replicas: desired.spec.replicas))
            actions.append(.route(.all(to: stable)))
        }
        actions.append(.remove(abandoned))
        let abandonedText = "\(display(abandoned)) was abandoned at \(weight)%"
        if current.stableRevision == revision {
            var back = current
            back.phase = .Succeeded
            back.canaryVersion = nil
            back.canaryDigest = nil
            back.canaryWeight = 100
            back.stepIndex = nil
            back.intervalStartedAt = nil
            back.gates = []
            back.specDigest = desired.specDigest
            back.reason = "The desired version is the stable version \(display(revision)) again; \(abandonedText)."
            status = back
            return
        }
        begin(desired, stable: current.stableRevision,
              reason: "\(display(revision)) replaces the rollout in progress; \(abandonedText). " +
                  rolloutReason(to: revision, from: current.stableRevision))
    }

    // MARK: Phases of a rollout in flight

    mutating func advance(_ desired: ModelDeployment) {
        guard let current = status, let canary = current.canaryRevision else { return }
        let workload = observation.workloads[canary.digest]
        if current.phase != .RollingBack, current.phase != .Promoting, let workload, workload.hasFailed {
            rollBack(desired, reason: "\(display(canary))'s workload failed: \(workload.message ?? "it stopped")")
            return
        }
        switch current.phase {
        case .Pending: pending(desired, canary: canary, ready: workload?.isReady == true)
        case .Progressing: progressing(desired, canary: canary, ready: workload?.isReady == true)
        case .AwaitingApproval: awaitingApproval(desired, canary: canary)
        case .Promoting: promote(desired, canary: canary)
        case .RollingBack: finishRollback(desired, canary: canary)
        case .Succeeded, .Failed, .Removed: break
        }
    }

    /// The actions that hold the current split: both workloads at full size (the stable one stopped during a
    /// recreate) and the recorded weight.
    mutating func hold(_ desired: ModelDeployment, canary: ServingRevision) {
        guard let current = status else { return }
        let stable = current.stableRevision
        let recreate = desired.spec.rollout.strategy == .recreate
        actions.append(.deploy(canary, replicas: desired.spec.replicas))
        if let stable {
            actions.append(recreate ? .scale(stable, replicas: 0) : .deploy(stable, replicas: desired.spec.replicas))
        }
        if recreate || stable == nil {
            actions.append(.route(TrafficSplit(stable: nil, canary: canary, canaryWeight: 100)))
        } else {
            actions.append(.route(TrafficSplit(stable: stable, canary: canary, canaryWeight: current.canaryWeight)))
        }
    }

    mutating func pending(_ desired: ModelDeployment, canary: ServingRevision, ready: Bool) {
        guard var current = status else { return }
        let rollout = desired.spec.rollout
        if rollout.strategy == .recreate, rollout.approval != nil, current.stableRevision != nil,
           !observation.approvedVersions.contains(canary.version) {
            // A recreate stops the stable version, so its approval is asked before anything is replaced.
            current.phase = .AwaitingApproval
            current.reason = "Replacing \(current.stableVersion.map(LedgerCommitMessage.displayVersion) ?? "the stable version") with \(display(canary)) stops it first; that waits for an approval committed to \(approvalPath(desired, canary))."
            status = current
            serveStable(desired)
            return
        }
        guard ready else {
            let deadline = current.startedAt + rollout.progressDeadline
            if now >= deadline {
                let detail = observation.workloads[canary.digest]?.message.map { " (\($0))" } ?? ""
                rollBack(desired, reason: "\(display(canary)) did not become ready within the progress deadline of \(rollout.progressDeadline)\(detail).")
                return
            }
            hold(desired, canary: canary)
            nextDecisionAt = deadline
            return
        }
        if current.stableRevision == nil {
            // A first deployment has nothing to compare with and nothing to protect: it goes straight to 100%.
            current.phase = .Promoting
            current.reason = "\(display(canary)) is ready; as the first version it takes all traffic."
            status = current
            promote(desired, canary: canary)
            return
        }
        switch rollout.strategy {
        case .canary:
            enterStep(0, desired, canary: canary, because: "\(display(canary)) is ready")
        case .blueGreen, .recreate:
            if rollout.gates.isEmpty {
                awaitOrPromote(desired, canary: canary, because: "\(display(canary)) is ready and there are no gates to check")
            } else {
                current.phase = .Progressing
                current.canaryWeight = rollout.strategy == .recreate ? 100 : 0
                current.stepIndex = nil
                current.intervalStartedAt = now
                current.reason = rollout.strategy == .recreate
                    ? "\(display(canary)) replaced the previous version and is ready; checking its gates for \(rollout.interval)."
                    : "\(display(canary)) is ready without live traffic; checking its gates for \(rollout.interval)."
                status = current
                hold(desired, canary: canary)
                nextDecisionAt = now + rollout.interval
            }
        }
    }

    /// Moves the canary to step `index`, or waits for an approval first when the spec asks for one there.
    mutating func enterStep(_ index: Int, _ desired: ModelDeployment, canary: ServingRevision, because: String) {
        guard var current = status else { return }
        let rollout = desired.spec.rollout
        let weight = rollout.steps[index]
        if rollout.approval?.before == weight, !observation.approvedVersions.contains(canary.version) {
            current.phase = .AwaitingApproval
            current.reason = "\(because); moving to \(weight)% waits for an approval committed to \(approvalPath(desired, canary))."
            current.intervalStartedAt = nil
            status = current
            hold(desired, canary: canary)
            return
        }
        current.phase = .Progressing
        current.stepIndex = index
        current.canaryWeight = weight
        current.intervalStartedAt = now
        current.reason = "\(because); \(display(canary)) now takes \(weight)%."
        status = current
        hold(desired, canary: canary)
        nextDecisionAt = now + rollout.interval
    }

    mutating func progressing(_ desired: ModelDeployment, canary: ServingRevision, ready: Bool) {
        guard var current = status else { return }
        let rollout = desired.spec.rollout
        // A workload the runtime does not have at all (the local runtime after Serin restarted, or a Deployment
        // deleted by hand) is not the canary failing: there is nothing to judge, and the interval's traffic is
        // broken. It is deployed again, and the interval starts over, with no check counted.
        let kept = [canary] + (rollout.strategy == .recreate ? [] : [current.stableRevision].compactMap { $0 })
        let missing = kept.filter { observation.workloads[$0.digest] == nil }
        if !missing.isEmpty {
            let names = missing.map { display($0) }.joined(separator: " and ")
            current.intervalStartedAt = now
            current.reason = missing.count > 1
                ? "\(names)'s workloads were missing, so they were deployed again; the \(rollout.interval) check at \(current.canaryWeight)% starts over."
                : "\(names)'s workload was missing, so it was deployed again; the \(rollout.interval) check at \(current.canaryWeight)% starts over."
            status = current
            hold(desired, canary: canary)
            nextDecisionAt = now + rollout.interval
            return
        }
        guard let started = current.intervalStartedAt, started + rollout.interval <= now else {
            hold(desired, canary: canary)
            nextDecisionAt = (current.intervalStartedAt ?? now) + rollout.interval
            if current.intervalStartedAt == nil {
                current.intervalStartedAt = now
                status = current
            }
            return
        }
        if !rollout.gates.isEmpty && observation.gateResults == nil {
            // The shell did not measure: no evidence, no decision. Ask again at once.
            hold(desired, canary: canary)
            nextDecisionAt = now
            return
        }
        let readiness = GateResult(name: RolloutMachine.readinessGate, verdict: ready ? .pass : .fail, value: nil,
                                   threshold: "ready",
                                   message: ready ? nil : observation.workloads[canary.digest]?.message ?? "the workload is not ready")
        let results = ([readiness] + (observation.gateResults ?? [])).map { counted($0, after: current.gates) }
        current.gates = results
        checkedGates = true
        status = current
        let interval = rollout.interval

        if let failed = results.first(where: { $0.consecutiveFailures >= rollout.maxFailedChecks }) {
            let times = failed.consecutiveFailures == 1 ? "its check" : "\(failed.consecutiveFailures) checks in a row"
            rollBack(desired, reason: "Gate \(failed.label) failed \(times): \(LedgerCommitMessage.gateEvidence(failed)).")
            return
        }
        if let silent = results.first(where: { $0.consecutiveInconclusive >= rollout.maxInconclusiveChecks }) {
            rollBack(desired, reason: "Gate \(silent.label) had no conclusive evidence for \(silent.consecutiveInconclusive) checks in a row (\(LedgerCommitMessage.gateEvidence(silent))); missing evidence never promotes.")
            return
        }
        guard results.allSatisfy({ $0.verdict == .pass }) else {
            current.intervalStartedAt = now
            current.reason = "Holding \(display(canary)) at \(current.canaryWeight)%: \(LedgerCommitMessage.gatesNotPassing(results)); checking again in \(interval)."
            status = current
            hold(desired, canary: canary)
            nextDecisionAt = now + interval
            return
        }
        let because = "Gates passed for \(interval) at \(current.canaryWeight)%"
        if rollout.strategy == .canary, let index = current.stepIndex, index + 1 < rollout.steps.count {
            enterStep(index + 1, desired, canary: canary, because: because)
        } else {
            awaitOrPromote(desired, canary: canary, because: because)
        }
    }

    /// The last check passed: promote, unless an approval is required before all traffic moves and is missing.
    mutating func awaitOrPromote(_ desired: ModelDeployment, canary: ServingRevision, because: String) {
        guard var current = status else { return }
        let rollout = desired.spec.rollout
        let needsApproval = rollout.approval?.before == 100 && rollout.strategy == .blueGreen
        if needsApproval && !observation.approvedVersions.contains(canary.version) {
            current.phase = .AwaitingApproval
            current.intervalStartedAt = nil
            current.reason = "\(because); taking all traffic waits for an approval committed to \(approvalPath(desired, canary))."
            status = current
            hold(desired, canary: canary)
            return
        }
        current.phase = .Promoting
        current.intervalStartedAt = nil
        current.reason = "\(because); promoting \(display(canary)) to stable."
        status = current
        promote(desired, canary: canary)
    }

    /// Waits for the approval file; once it is in Git, does what the approval held back: enter the canary step it
    /// guards, switch a blue-green's traffic, or start a recreate.
    mutating func awaitingApproval(_ desired: ModelDeployment, canary: ServingRevision) {
        guard var current = status else { return }
        let rollout = desired.spec.rollout
        guard observation.approvedVersions.contains(canary.version) else {
            if rollout.strategy == .recreate {
                serveStable(desired)
            } else {
                hold(desired, canary: canary)
            }
            return
        }
        let because = "Approved in \(approvalPath(desired, canary))"
        let released = desired.withoutApprovalGate
        switch rollout.strategy {
        case .canary:
            let index = rollout.approval.flatMap { rollout.steps.firstIndex(of: $0.before) } ?? 0
            enterStep(index, released, canary: canary, because: because)
        case .blueGreen:
            awaitOrPromote(released, canary: canary, because: because)
        case .recreate:
            current.phase = .Pending
            current.reason = "\(because); replacing the stable version with \(display(canary))."
            status = current
            pending(released, canary: canary, ready: observation.workloads[canary.digest]?.isReady == true)
        }
    }

    /// The canary becomes the stable version: it takes all traffic and the old stable workload is deleted.
    mutating func promote(_ desired: ModelDeployment, canary: ServingRevision) {
        guard var current = status else { return }
        let old = current.stableRevision
        actions.append(.deploy(canary, replicas: desired.spec.replicas))
        actions.append(.route(.all(to: canary)))
        if let old, old != canary { actions.append(.remove(old)) }
        if current.phase == .Promoting && previous?.phase == .Promoting {
            // The promotion's actions were performed after the Promoting transition was recorded: done.
            current.phase = .Succeeded
            current.stableVersion = canary.version
            current.stableDigest = canary.digest
            current.canaryVersion = nil
            current.canaryDigest = nil
            current.canaryWeight = 100
            current.stepIndex = nil
            current.intervalStartedAt = nil
            current.reason = "\(display(canary)) is the stable version and takes all traffic."
            status = current
            return
        }
        current.phase = .Promoting
        current.canaryWeight = 100
        status = current
        nextDecisionAt = now
    }

    /// Sends all traffic back to the stable version and stops the canary; `finishRollback` ends it as Failed.
    mutating func rollBack(_ desired: ModelDeployment, reason: String) {
        guard var current = status, let canary = current.canaryRevision else { return }
        current.phase = .RollingBack
        current.canaryWeight = 0
        current.intervalStartedAt = nil
        current.reason = reason
        status = current
        rollBackActions(desired, canary: canary)
        nextDecisionAt = now
    }

    mutating func rollBackActions(_ desired: ModelDeployment, canary: ServingRevision) {
        if let stable = status?.stableRevision {
            actions.append(.deploy(stable, replicas: desired.spec.replicas))
            actions.append(.route(.all(to: stable)))
        } else {
            actions.append(.route(.none))
        }
        actions.append(.scale(canary, replicas: 0))
    }

    /// Ends a rollback once the stable version serves again (at once for a canary; after a recreate, when the old
    /// workload is ready again, or when the progress deadline for that has passed).
    mutating func finishRollback(_ desired: ModelDeployment, canary: ServingRevision) {
        guard var current = status else { return }
        rollBackActions(desired, canary: canary)
        if let stable = current.stableRevision, observation.workloads[stable.digest]?.isReady != true {
            let deadline = current.updatedAt + desired.spec.rollout.progressDeadline
            if now < deadline {
                nextDecisionAt = deadline
                return
            }
        }
        actions.append(.remove(canary))
        current.phase = .Failed
        current.stepIndex = nil
        // The cause stays, after what the rollback left behind: the version that serves now.
        let outcome = current.stableRevision.map { "Rolled back to \(display($0)) and removed \(display(canary))." }
            ?? "Removed \(display(canary)); no version of this model serves."
        current.reason = "\(outcome) \(current.reason)"
        status = current
    }

    // MARK: Wording and evidence

    func counted(_ result: GateResult, after previous: [GateResult]) -> GateResult {
        let before = previous.first { $0.name == result.name }
        var counted = result
        counted.consecutiveFailures = result.verdict == .fail ? (before?.consecutiveFailures ?? 0) + 1 : 0
        counted.consecutiveInconclusive = result.verdict == .inconclusive ? (before?.consecutiveInconclusive ?? 0) + 1 : 0
        return counted
    }

    func display(_ revision: ServingRevision) -> String {
        LedgerCommitMessage.displayVersion(revision.version)
    }

    func rolloutReason(to revision: ServingRevision, from stable: ServingRevision?) -> String {
        guard let stable else { return "First deployment of \(display(revision)); it takes all traffic once ready." }
        if stable.version == revision.version {
            return "Rolling out a new revision of \(display(revision)) (\(revision.shortDigest), was \(stable.shortDigest)): its serving fields changed."
        }
        return "Rolling out \(display(revision)) to replace \(display(stable))."
    }

    func approvalPath(_ desired: ModelDeployment, _ canary: ServingRevision) -> String {
        Approvals.path(for: desired.key, version: canary.version)
    }
}

private extension ModelDeployment {
    /// The same document with its approval requirement met, for the step an approval has just released.
    var withoutApprovalGate: ModelDeployment {
        var copy = self
        copy.spec.rollout.approval = nil
        return copy
    }
}
