import Logging
import SerinCore
import SerinGit

/// One reconcile of one model, in a fixed order: read its recorded status, observe its workloads, measure its gates
/// when a check is due, let the rollout machine decide, perform the actions, and record a transition in the ledger
/// last, once the actions succeeded. A failure anywhere leaves the recorded status as it was, so the next pass
/// repeats the same decision rather than skipping one. A transition is logged as soon as it is decided, before its
/// actions, so that a terminal reads cause before effect; a failure after it follows as a warning, and the retries
/// that decide the same transition again log it at debug level only.
public struct ModelReconciler: Sendable {
    /// What the desired state says about one model at one commit.
    public struct Input: Sendable {
        public var key: DeploymentKey
        /// Nil when the model is no longer in Git and is to be pruned.
        public var desired: ModelDeployment?
        public var desiredCommit: String
        /// The versions of this model approved in Git.
        public var approvedVersions: Set<String>

        public init(key: DeploymentKey, desired: ModelDeployment?, desiredCommit: String, approvedVersions: Set<String> = []) {
            self.key = key
            self.desired = desired
            self.desiredCommit = desiredCommit
            self.approvedVersions = approvedVersions
        }
    }

    /// What a pass did.
    public struct Outcome: Sendable, Equatable {
        /// The status recorded by this pass; nil when nothing changed.
        public var transition: RolloutStatus?
        /// When the machine wants to look again even without news.
        public var nextDecisionAt: Timestamp?
    }

    public enum Failure: Error, CustomStringConvertible {
        case runtime(DeploymentKey, any Error)
        case ledger(DeploymentKey, GitError)

        public var description: String {
            switch self {
            case .runtime(let key, let error): "\(key): the runtime failed: \(error); the rollout stays where it was and is retried"
            case .ledger(let key, let error): "\(key): the transition could not be recorded in the ledger: \(error); it is decided again on the next pass"
            }
        }
    }

    public let runtime: any ModelRuntime
    public let gates: any GateMeasuring
    public let ledger: RolloutLedger
    /// The current time; injected so tests control it.
    public let now: @Sendable () -> Timestamp
    public let logger: Logger
    private let announcements = TransitionAnnouncements()

    public init(runtime: any ModelRuntime, gates: any GateMeasuring, ledger: RolloutLedger,
                now: @escaping @Sendable () -> Timestamp, logger: Logger = Logger(label: "serin.operator.reconcile")) {
        self.runtime = runtime
        self.gates = gates
        self.ledger = ledger
        self.now = now
        self.logger = logger
    }

    public func reconcile(_ input: Input) async throws(Failure) -> Outcome {
        let key = input.key
        let status = await ledger.status(of: key)
        if input.desired == nil && status == nil { return Outcome() }

        let workloads: [String: WorkloadObservation]
        do { workloads = try await runtime.workloads(of: key) } catch { throw .runtime(key, error) }
        let time = now()
        var observation = RolloutObservation(now: time, desiredCommit: input.desiredCommit, workloads: workloads,
                                             approvedVersions: input.approvedVersions)
        if let desired = input.desired, let context = RolloutMachine.gateCheckDue(desired: desired, status: status, now: time) {
            observation.gateResults = await gates.measure(desired.spec.rollout.gates, rollout: desired.spec.rollout, context: context)
        }
        let decision = RolloutMachine.decide(desired: input.desired, status: status, observation: observation)
        let transition = decision.isTransition ? decision.status : nil
        if let next = transition {
            // Before the actions, so the terminal reads cause then effect: "v2 now takes 50%", then the runtime's
            // "traffic shifted". A failure below follows it as a warning, and the pass is decided again.
            var metadata = ModelLogContext(key: key, version: next.rolloutVersion, desiredCommit: input.desiredCommit).metadata
            metadata["phase"] = "\(next.phase.rawValue)"
            metadata["weight"] = "\(next.canaryWeight)"
            let line = TransitionLogLine.text(of: next, gatesChecked: decision.checkedGates)
            let isNews = await announcements.isNews("\(next.phase.rawValue) \(next.canaryWeight)% \(line)", for: key)
            logger.log(level: isNews ? .info : .debug, "\(line)", metadata: metadata)
        }

        do {
            try await runtime.perform(decision.actions, key: key, desired: input.desired)
        } catch {
            throw .runtime(key, error)
        }
        guard let next = transition else {
            return Outcome(nextDecisionAt: decision.nextDecisionAt)
        }
        do throws(GitError) {
            try await ledger.record(next)
        } catch {
            throw .ledger(key, error)
        }
        await announcements.recorded(key)
        await runtime.recorded(next)
        return Outcome(transition: next, nextDecisionAt: decision.nextDecisionAt)
    }
}
