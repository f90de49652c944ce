import NIOCore
import Synchronization

/// A server's open connections, so that stopping the server lets them finish what is in flight and then closes
/// them, leaving no socket behind. Serin's NIO servers (the router, the endpoints) share it.
public final class OpenConnections: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isClosing = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers a new connection; false once the server is stopping (the caller closes it).
    public func add(_ channel: any Channel) -> Bool {
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

    /// How many connections are open.
    public var count: Int { state.withLock { $0.channels.count } }

    /// Refuses new connections, tells the open ones to quiesce (`ChannelShouldQuiesceEvent`: an idle connection
    /// closes at once, a busy one after the answer in flight), waits up to `gracePeriod` for them to close, then
    /// closes those still open. Call it after the listener is closed.
    public func drainAndClose(gracePeriod: Duration) async {
        let open = state.withLock { state in
            state.isClosing = true
            return Array(state.channels.values)
        }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let clock = ContinuousClock()
        let deadline = clock.now + gracePeriod
        while count > 0 && clock.now < deadline {
            // Polling, not notification: a stop happens once, and a poll cannot miss a close.
            try? await Task.sleep(for: .milliseconds(10))
        }
        for channel in open where channel.isActive {
            try? await channel.close()
        }
    }
}
