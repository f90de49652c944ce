import Logging

/// The service manager's watchdog (systemd's `WatchdogSec=`): Serin tells the manager every so often that it is
/// alive, and a manager that hears nothing for `timeout` restarts it.
///
/// Alive means that every probe answers: each of Serin's servers (the router, the endpoints) runs a task on every
/// one of its threads within a quarter of the timeout. A timer that told the manager Serin was alive whatever it
/// did would keep a Serin running whose router hangs; probing first makes the message mean what a kubelet's
/// liveness probe means in a cluster. The shell sends the message (`ping`); this type decides when.
public struct ServiceWatchdog: Sendable {
    /// A part of Serin that must keep answering: `unresponsiveThreads(limit)` is how many of its threads did not
    /// run a task within `limit` (`ModelRouter.unresponsiveThreads(within:)`, say).
    public struct Probe: Sendable {
        public let name: String
        public let unresponsiveThreads: @Sendable (Duration) async -> Int

        public init(name: String, unresponsiveThreads: @escaping @Sendable (Duration) async -> Int) {
            self.name = name
            self.unresponsiveThreads = unresponsiveThreads
        }
    }

    /// The environment variable holding the timeout in microseconds, as systemd sets it.
    public static let timeoutVariable = "WATCHDOG_USEC"
    /// The environment variable naming the process the watchdog is for, as systemd sets it.
    public static let processVariable = "WATCHDOG_PID"

    /// How long the manager waits for word before it restarts Serin.
    public let timeout: Duration
    /// How often Serin gives word: half the timeout, as systemd advises, so one late beat is not fatal.
    public var interval: Duration { timeout / 2 }
    /// How long each probe may take: a beat probes and pings within half an interval.
    public var probeLimit: Duration { timeout / 4 }

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// The watchdog `environment` asks for, or nil when it asks for none: no `WATCHDOG_USEC`, a value that is not a
    /// positive number of microseconds, or a `WATCHDOG_PID` other than `processID` (the variables were inherited
    /// from a parent that is watched itself, and pinging for it would hide the parent's hang).
    public init?(environment: [String: String], processID: Int32) {
        guard let text = environment[Self.timeoutVariable], let microseconds = Int64(text), microseconds > 0 else {
            return nil
        }
        if let owner = environment[Self.processVariable], Int32(owner) != processID { return nil }
        self.init(timeout: .microseconds(microseconds))
    }

    /// Probes every part at once and calls `ping` when each answered on all its threads. Returns what did not
    /// answer, one line per part (empty: it pinged).
    public func beat(probes: [Probe], ping: () -> Void) async -> [String] {
        let limit = probeLimit
        let problems = await withTaskGroup(of: String?.self) { group in
            for probe in probes {
                group.addTask {
                    let stuck = await probe.unresponsiveThreads(limit)
                    guard stuck > 0 else { return nil }
                    return "\(probe.name): \(stuck) thread\(stuck == 1 ? "" : "s") did not answer within \(limit)"
                }
            }
            var problems: [String] = []
            for await problem in group { if let problem { problems.append(problem) } }
            return problems.sorted()
        }
        if problems.isEmpty { ping() }
        return problems
    }

    /// Beats every `interval` until cancelled, logging when parts stop answering and when they answer again.
    public func run(probes: [Probe], ping: @escaping @Sendable () -> Void, logger: Logger) async {
        var failing = false
        logger.debug("telling the service manager Serin is alive", metadata: ["every": "\(interval)", "timeout": "\(timeout)"])
        while !Task.isCancelled {
            let problems = await beat(probes: probes, ping: ping)
            if !problems.isEmpty, !failing {
                logger.error("""
                    Serin is not answering: the service manager restarts it if this lasts \(timeout) \
                    (WatchdogSec=); look for what holds the threads in the lines before this one
                    """, metadata: ["unanswered": "\(problems.joined(separator: "; "))"])
            } else if problems.isEmpty, failing {
                logger.notice("Serin is answering again; the service manager is told so")
            }
            failing = !problems.isEmpty
            try? await Task.sleep(for: interval)
        }
    }
}
