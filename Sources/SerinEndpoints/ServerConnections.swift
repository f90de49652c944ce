import NIOCore
import Synchronization

/// The open connections, so `stop()` can let them finish their requests and then close them, leaving no socket
/// behind.
final class ServerConnections: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isClosing = false
    }

    private let state = Mutex(State())

    /// Registers a new connection; false once the server is stopping (the caller closes it).
    func add(_ channel: any Channel) -> Bool {
        let added = state.withLock { state -> Bool in
            guard !state.isClosing else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if added {
            channel.closeFuture.whenComplete { [self] _ in
                _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return added
    }

    /// Refuses new connections and returns the open ones.
    func close() -> [any Channel] {
        state.withLock { state in
            state.isClosing = true
            return Array(state.channels.values)
        }
    }

    var count: Int { state.withLock { $0.channels.count } }
}
