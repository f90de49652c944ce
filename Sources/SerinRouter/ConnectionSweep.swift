import NIOCore

/// The client connections of one event loop, checked every so often for the router's two timeouts:
/// - a connection that has waited longer than the client idle timeout for its next request is closed: keep-alive
///   connections nobody uses, and request heads that arrive too slowly (bytes of an unfinished head do not count
///   as activity, so a client cannot hold a connection by trickling them);
/// - a request whose upstream has sent nothing for the upstream timeout (once the request went out whole) ends
///   with 504, so a hung version shows in its metrics as failing instead of holding requests in flight forever.
///
/// A sweep per loop rather than a timer per connection or request: a request then costs the router a stored
/// timestamp or two, not a timer scheduled and cancelled.
final class ConnectionSweep {
    private let eventLoop: any EventLoop
    private let clientIdleTimeout: TimeAmount
    private let upstreamTimeout: TimeAmount
    private var handlers: [ObjectIdentifier: ProxyHandler] = [:]
    private var scheduled: Scheduled<Void>?

    init(eventLoop: any EventLoop, configuration: RouterConfiguration) {
        self.eventLoop = eventLoop
        self.clientIdleTimeout = TimeAmount(configuration.clientIdleTimeout)
        self.upstreamTimeout = TimeAmount(configuration.upstreamTimeout)
    }

    func add(_ handler: ProxyHandler) {
        handlers[ObjectIdentifier(handler)] = handler
        scheduleSweep()
    }

    func remove(_ handler: ProxyHandler) {
        handlers.removeValue(forKey: ObjectIdentifier(handler))
        if handlers.isEmpty {
            scheduled?.cancel()
            scheduled = nil
        }
    }

    /// Every quarter of the shorter timeout (at most every 5 seconds, at least every 50 ms) while any connection
    /// is open: a timeout takes effect up to a quarter late.
    private func scheduleSweep() {
        guard scheduled == nil else { return }
        let shorter = min(clientIdleTimeout, upstreamTimeout)
        let interval = min(TimeAmount.seconds(5), max(TimeAmount.milliseconds(50), .nanoseconds(shorter.nanoseconds / 4)))
        scheduled = eventLoop.assumeIsolated().scheduleTask(in: interval) { [weak self] in
            guard let self else { return }
            self.scheduled = nil
            let now = NIODeadline.now()
            for handler in Array(self.handlers.values) {
                handler.enforceTimeouts(idleBefore: now - self.clientIdleTimeout,
                                        upstreamSilentBefore: now - self.upstreamTimeout)
            }
            if !self.handlers.isEmpty { self.scheduleSweep() }
        }
    }
}
