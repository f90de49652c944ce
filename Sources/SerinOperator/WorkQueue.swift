/// The operator's work queue, keyed by model, with client-go's workqueue guarantees:
/// - a key waiting to be processed is queued once, however often it is added;
/// - a key is never handed to two workers at once: added again while being processed, it is processed once more
///   after the current pass is `done`;
/// - `add(_:after:)` delays a key (a gate interval ending, a progress deadline); the earliest request wins;
/// - failures back off per key, exponentially, until a pass succeeds.
///
/// Time comes from the injected clock, so tests step it instead of sleeping.
public actor WorkQueue<Key: Hashable & Sendable, C: Clock> where C.Duration == Duration {
    private let clock: C
    private var ready: [Key] = []
    private var queued: Set<Key> = []
    private var processing: Set<Key> = []
    private var dirty: Set<Key> = []
    private var delayed: [Key: C.Instant] = [:]
    private var failures: [Key: Int] = [:]
    private var waiters: [CheckedContinuation<Key?, Never>] = []
    private var timerWake: CheckedContinuation<Void, Never>?
    /// Bumped by every wake, so a waiter that registers after the wake it should have seen returns at once.
    private var timerGeneration = 0
    private var isShutDown = false
    public let baseBackoff: Duration
    public let maxBackoff: Duration

    public init(clock: C, baseBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(300)) {
        self.clock = clock
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
    }

    /// Queues `key` now.
    public func add(_ key: Key) {
        guard !isShutDown else { return }
        delayed[key] = nil
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard queued.insert(key).inserted else { return }
        if let waiter = waiters.first {
            waiters.removeFirst()
            queued.remove(key)
            processing.insert(key)
            waiter.resume(returning: key)
        } else {
            ready.append(key)
        }
    }

    /// Queues `key` once `delay` has passed, unless it is queued sooner.
    public func add(_ key: Key, after delay: Duration) {
        guard !isShutDown else { return }
        if delay <= .zero { return add(key) }
        let deadline = clock.now.advanced(by: delay)
        if let existing = delayed[key], existing <= deadline { return }
        delayed[key] = deadline
        wakeTimer()
    }

    /// Queues `key` after its next backoff: `baseBackoff × 2^(failures so far)`, capped at `maxBackoff`.
    @discardableResult
    public func addAfterFailure(_ key: Key) -> Duration {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        let delay = min(maxBackoff, baseBackoff * Double(1 << min(count, 30)))
        add(key, after: delay)
        return delay
    }

    /// Clears the key's failure count after a successful pass.
    public func forget(_ key: Key) { failures[key] = nil }

    /// The next key to process, waiting for one; nil once the queue is shut down.
    public func next() async -> Key? {
        if isShutDown { return nil }
        if !ready.isEmpty {
            let key = ready.removeFirst()
            queued.remove(key)
            processing.insert(key)
            return key
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks a pass over `key` finished; a key added meanwhile is queued again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.remove(key) != nil { add(key) }
    }

    /// Keys waiting now (not delayed, not being processed).
    public var depth: Int { ready.count }

    /// Workers waiting in `next()` for a key.
    public var idleWorkers: Int { waiters.count }

    /// Whether `key` waits for a delay, and until when.
    public func deadline(of key: Key) -> C.Instant? { delayed[key] }

    /// Stops handing out keys: waiting workers get nil, the timer loop ends.
    public func shutDown() {
        isShutDown = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters = []
        wakeTimer()
    }

    /// Moves delayed keys to the queue as their time comes. Runs until `shutDown()`; start it in the operator's task
    /// group.
    public func runTimers() async {
        while !isShutDown {
            promoteDue()
            let generation = timerGeneration
            if let earliest = delayed.values.min() {
                // Wake on the deadline or when a delay is added, whichever comes first.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { [clock] in try? await clock.sleep(until: earliest, tolerance: nil) }
                    group.addTask { await self.waitForTimerWake(since: generation) }
                    await group.next()
                    group.cancelAll()
                    self.wakeTimer()
                }
            } else {
                await waitForTimerWake(since: generation)
            }
        }
    }

    private func promoteDue() {
        let now = clock.now
        for (key, deadline) in delayed where deadline <= now {
            delayed[key] = nil
            add(key)
        }
    }

    private func waitForTimerWake(since generation: Int) async {
        if isShutDown || timerGeneration != generation { return }
        await withCheckedContinuation { timerWake = $0 }
    }

    private func wakeTimer() {
        timerGeneration += 1
        let waking = timerWake
        timerWake = nil
        waking?.resume()
    }
}
