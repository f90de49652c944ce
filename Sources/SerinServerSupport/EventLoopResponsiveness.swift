import NIOCore
import Synchronization

extension EventLoopGroup {
    /// How many of the group's threads did not run a task within `limit`: 0 when every one is free to serve.
    ///
    /// A thread that runs nothing for that long is held by something (a handler blocking it, a deadlock), and the
    /// connections on it wait with it. Serin's watchdog asks this of its servers, so that a service manager restarts
    /// a Serin that still runs but no longer serves. Returns as soon as every thread has answered; a thread that
    /// never answers costs `limit`, no more, and its task runs whenever the thread gets free.
    public func unresponsiveThreads(within limit: Duration) async -> Int {
        let loops = Array(makeIterator())
        let answered = AnswerCount()
        for loop in loops {
            loop.execute { answered.add() }
        }
        let deadline = ContinuousClock.now + limit
        // Polled rather than awaited: a future on a held thread would keep the caller waiting past the limit.
        let poll = min(.milliseconds(10), limit / 10)
        while answered.value < loops.count, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: poll)
        }
        return loops.count - answered.value
    }
}

private final class AnswerCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
