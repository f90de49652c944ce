import NIOCore

/// The client connections of one event loop, checked every so often and closed when they have waited longer than
/// the idle timeout for their next request: keep-alive connections nobody uses, and request heads that arrive too
/// slowly (bytes of an unfinished head do not count as activity, so a client cannot hold a connection by
/// trickling them).
///
/// A sweep per loop rather than a timer per connection: a request then costs the router one stored timestamp,
/// not a timer scheduled and cancelled.
final class IdleClientSweep {
    private let eventLoop: any EventLoop
    private let timeout: TimeAmount
    private var handlers: [ObjectIdentifier: ProxyHandler] = [:]
    private var scheduled: Scheduled<Void>?

    init(eventLoop: any EventLoop, timeout: Duration) {
        self.eventLoop = eventLoop
        self.timeout = TimeAmount(timeout)
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

    /// Every quarter of the timeout (at most every 5 seconds, at least every 50 ms) while any connection is open.
    private func scheduleSweep() {
        guard scheduled == nil else { return }
        let interval = min(TimeAmount.seconds(5), max(TimeAmount.milliseconds(50), .nanoseconds(timeout.nanoseconds / 4)))
        scheduled = eventLoop.assumeIsolated().scheduleTask(in: interval) { [weak self] in
            guard let self else { return }
            self.scheduled = nil
            let idleBefore = NIODeadline.now() - self.timeout
            for handler in Array(self.handlers.values) {
                handler.closeIfIdle(since: idleBefore)
            }
            if !self.handlers.isEmpty { self.scheduleSweep() }
        }
    }
}
