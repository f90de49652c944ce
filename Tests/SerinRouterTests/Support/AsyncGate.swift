import Synchronization

/// A latch tests open to let held requests go: waiters suspend until `open()`, and pass at once afterwards.
final class AsyncGate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes (a generous bound for a shared
/// machine, never a claim about speed); returns whether it held.
@discardableResult
func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// A count shared between a test and the tasks it starts.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    func add(_ amount: Int) { atomic.add(amount, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}

/// A flag shared between a test and the tasks it starts.
final class Flag: Sendable {
    private let atomic: Atomic<Bool>

    init(_ value: Bool) { atomic = Atomic(value) }
    func set(_ value: Bool) { atomic.store(value, ordering: .sequentiallyConsistent) }
    var value: Bool { atomic.load(ordering: .sequentiallyConsistent) }
}
