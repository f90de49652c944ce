import NIOCore
import Synchronization

/// The open connections and whether each is in the middle of a request, so that a graceful stop can close the idle
/// ones at once, let the busy ones finish their answer and then close, and accept nothing new.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [Int: any Channel] = [:]
        var busy: Set<Int> = []
        var nextID = 0
        var isStopping = false
    }

    private let state = Mutex(State())

    /// Registers a new connection; nil when the server is stopping (close it unanswered).
    func register(_ channel: any Channel) -> Int? {
        state.withLock { state in
            guard !state.isStopping else { return nil }
            state.nextID += 1
            state.channels[state.nextID] = channel
            return state.nextID
        }
    }

    func unregister(_ id: Int) {
        state.withLock { state in
            state.channels[id] = nil
            state.busy.remove(id)
        }
    }

    /// Marks a request as started; false when the server is stopping (the connection was idle and is being closed).
    func beginRequest(_ id: Int) -> Bool {
        state.withLock { state in
            guard !state.isStopping else { return false }
            state.busy.insert(id)
            return true
        }
    }

    /// Marks a request as answered; false when the connection should close now because the server is stopping.
    func endRequest(_ id: Int) -> Bool {
        state.withLock { state in
            state.busy.remove(id)
            return !state.isStopping
        }
    }

    var isStopping: Bool { state.withLock { $0.isStopping } }

    /// Starts the stop: refuses new connections and requests, and returns the idle connections to close.
    func beginStop() -> [any Channel] {
        state.withLock { state in
            state.isStopping = true
            return state.channels.filter { !state.busy.contains($0.key) }.map(\.value)
        }
    }

    /// Every connection still open, for closing when the grace period has run out.
    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }
}
