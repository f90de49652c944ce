import Logging
import SerinCore
import SerinEndpoints
import SerinGit
import Synchronization

/// The operator's loop: Git syncs feed the desired state, changed models go on the work queue, and workers
/// reconcile them, each model by one worker at a time and different models in parallel. Gate intervals and
/// deadlines come back as delayed queue entries; failures back off per model.
///
/// `run()` returns when its task is cancelled, after the workers finished their current pass.
public final class ReconcileLoop<C: Clock>: Sendable where C.Duration == Duration {
    public struct Configuration: Sendable {
        /// Models reconciled at the same time.
        public var workers: Int
        /// How often Git is polled, when no webhook says sooner.
        public var schedule: SyncSchedule

        public init(workers: Int = 4, schedule: SyncSchedule = SyncSchedule()) {
            self.workers = workers
            self.schedule = schedule
        }
    }

    public let source: DesiredStateSource
    public let reconciler: ModelReconciler
    public let queue: WorkQueue<DeploymentKey, C>
    public let configuration: Configuration
    private let clock: C
    private let desired = DesiredModels()
    private let logger: Logger
    /// Where the loop reports what it does, for `/metrics`; nil records nothing.
    public let metrics: SerinMetrics?
    /// Told of every successful sync, for `/readyz`.
    public let readiness: ReadinessTracker?
    /// The invalid commit last reported at error level: each poll reads the branch's tip again, and a commit that
    /// stays invalid is reported once, not once per poll.
    private let reportedInvalidCommit = Mutex<ObjectID?>(nil)

    public init(source: DesiredStateSource, reconciler: ModelReconciler, clock: C, configuration: Configuration = Configuration(),
                metrics: SerinMetrics? = nil, readiness: ReadinessTracker? = nil, logger: Logger = Logger(label: "serin.operator")) {
        self.source = source
        self.reconciler = reconciler
        self.clock = clock
        self.configuration = configuration
        self.queue = WorkQueue(clock: clock)
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.queue.runTimers() }
            for _ in 0..<max(1, configuration.workers) {
                group.addTask { await self.work() }
            }
            group.addTask {
                for await key in await self.reconciler.runtime.changes() { await self.queue.add(key) }
            }
            await source.run(schedule: configuration.schedule, clock: clock) { outcome, took in
                self.record(outcome, took: took)
                await self.handle(outcome)
                self.metrics?.setWorkQueueDepth(await self.queue.depth)
            }
            await queue.shutDown()
        }
    }

    /// Triggers an immediate sync (a webhook said the branch moved).
    public func syncNow() { source.trigger() }

    private func record(_ outcome: SyncOutcome, took: Duration) {
        let result: GitSyncResult
        switch outcome {
        case .applied: result = .applied
        case .unchanged: result = .unchanged
        case .invalid: result = .invalid
        case .failed: result = .failed
        }
        if result == .applied || result == .unchanged { readiness?.recordSuccessfulSync() }
        metrics?.recordGitSync(result, duration: took, finishedAt: reconciler.now())
    }

    private func handle(_ outcome: SyncOutcome) async {
        switch outcome {
        case .applied(let snapshot, _):
            reportedInvalidCommit.withLock { $0 = nil }
            await apply(snapshot)
        case .unchanged:
            // A resync: every model is looked at again, which repairs drift and notices crashed workloads. A model
            // at rest costs a read and nothing else.
            for key in await desired.keys.sorted() { await queue.add(key) }
        case .invalid(let commit, let diagnostics, let lastGood):
            // The one line about an invalid commit (DesiredStateSource leaves it to the loop).
            let metadata: Logger.Metadata = ["commit": "\(commit.short)", "errors": "\(diagnostics.count)",
                                             "first": "\(diagnostics.first.map(\.description) ?? "")"]
            let isNew = reportedInvalidCommit.withLock { reported in
                defer { reported = commit }
                return reported != commit
            }
            let level: Logger.Level = isNew ? .error : .debug
            if lastGood == nil {
                logger.log(level: level, "the desired branch does not validate; nothing is applied until a commit does", metadata: metadata)
            } else {
                logger.log(level: level, "the desired branch does not validate; the last good state stays in force", metadata: metadata)
            }
        case .failed(_, let lastGood):
            // DesiredStateSource has logged why; the last good state stays in force and the loop carries on. On the
            // first sync of a runtime that starts from what it last fetched, that state is new to the loop.
            if let lastGood, await desired.snapshot == nil { await apply(lastGood) }
        }
    }

    /// Makes `snapshot` the desired state and queues the models it changed; on the first, every model the ledger
    /// or the runtime knows too: models removed from Git while Serin was stopped.
    private func apply(_ snapshot: DesiredSnapshot) async {
        let firstSync = await desired.snapshot == nil
        var keys = await desired.apply(snapshot)
        if firstSync {
            try? await reconciler.ledger.load()
            keys.formUnion(await desired.keys)
            keys.formUnion(await reconciler.ledger.keys)
            if let deployed = try? await reconciler.runtime.deployedModels() { keys.formUnion(deployed) }
        }
        for key in keys.sorted() { await queue.add(key) }
    }

    private func work() async {
        while let key = await queue.next() {
            await process(key)
            await queue.done(key)
        }
    }

    private func process(_ key: DeploymentKey) async {
        do {
            try await reconciler.ledger.load()
        } catch {
            logger.warning("cannot read the ledger yet", metadata: ["error": "\(error)"])
            await queue.addAfterFailure(key)
            return
        }
        guard let input = await desired.input(for: key) else { return }
        let recorded = await reconciler.ledger.status(of: key)
        let context = ModelLogContext(key: key, version: input.desired?.spec.model.version ?? recorded?.rolloutVersion,
                                      desiredCommit: input.desiredCommit)
        await ModelLogContext.$current.withValue(context) {
            await reconcile(input)
        }
    }

    private func reconcile(_ input: ModelReconciler.Input) async {
        let key = input.key
        let started = ContinuousClock.now
        do throws(ModelReconciler.Failure) {
            let outcome = try await reconciler.reconcile(input)
            metrics?.recordReconcile(of: key, duration: ContinuousClock.now - started, succeeded: true)
            if let transition = outcome.transition {
                metrics?.recordGateResults(transition.gates, of: key)
                metrics?.recordLedgerCommit()
            }
            if let status = await reconciler.ledger.status(of: key) { metrics?.recordRolloutStatus(status) }
            await queue.forget(key)
            if let next = outcome.nextDecisionAt {
                let wait = next.millisecondsSinceEpoch - reconciler.now().millisecondsSinceEpoch
                await queue.add(key, after: .milliseconds(max(0, wait)))
            }
        } catch {
            metrics?.recordReconcile(of: key, duration: ContinuousClock.now - started, succeeded: false)
            let delay = await queue.addAfterFailure(key)
            logger.warning("\(error)", metadata: ["model": "\(key)", "retryIn": "\(delay)"])
        }
    }
}
