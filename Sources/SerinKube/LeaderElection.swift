import Foundation
import Logging
import SerinCore

/// Time for leader election, injected so tests can control it.
public protocol LeaderElectionClock: Sendable {
    /// The local wall-clock time, written into the lease's renewTime and used as the observed time.
    func now() -> Date
    func sleep(for duration: Duration) async throws
}

public struct SystemLeaderElectionClock: LeaderElectionClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// Leader election on a coordination.k8s.io/v1 Lease, following client-go's `leaderelection` package.
///
/// Contenders GET the lease every `retryPeriod` (stretched by up to `jitterFactor`). A missing lease is created with
/// this identity as holder. A lease held by someone else counts as taken while `observedTime + leaseDuration` lies in
/// the future, where observedTime is when *this* process last saw the record change: the holder's renewTime is never
/// compared with the local clock, so clock skew between nodes does not matter. A free or expired lease is taken with
/// a PUT carrying the fetched resourceVersion; a 409 means another contender won the race. The leader renews every
/// `retryPeriod`; if it cannot within `renewDeadline` it stops leading. On cancellation, a leader releases the lease
/// (holderIdentity "" and leaseDurationSeconds 1) so another contender can take over at once.
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var leaseName: String
        public var namespace: String
        /// Unique per process; client-go's convention is `hostname_UUID`.
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration
        public var jitterFactor: Double
        public var releaseOnCancel: Bool

        /// client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry, jitter 1.2.
        public init(leaseName: String, namespace: String, identity: String = LeaderElector.defaultIdentity(),
                    leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
                    retryPeriod: Duration = .seconds(2), jitterFactor: Double = 1.2, releaseOnCancel: Bool = true) {
            self.leaseName = leaseName
            self.namespace = namespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
            self.jitterFactor = jitterFactor
            self.releaseOnCancel = releaseOnCancel
        }

        /// client-go's constraint: leaseDuration > renewDeadline > jitterFactor × retryPeriod.
        public var isValid: Bool {
            leaseDuration > renewDeadline && renewDeadline > retryPeriod * jitterFactor && retryPeriod > .zero
        }
    }

    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased())"
    }

    public let configuration: Configuration
    private let client: KubeClient
    private let clock: any LeaderElectionClock
    private let logger: Logger
    /// Told the lease's annotations each time the leader reads the lease (every `retryPeriod`): how a standby's
    /// `signal` reaches the leader.
    private let onLeaderRead: (@Sendable ([String: String]) -> Void)?

    public init(client: KubeClient, configuration: Configuration, clock: any LeaderElectionClock = SystemLeaderElectionClock(),
                logger: Logger = Logger(label: "serin.kube.leader"),
                onLeaderRead: (@Sendable ([String: String]) -> Void)? = nil) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.onLeaderRead = onLeaderRead
    }

    /// Sets an annotation on the lease, for the leader to see at its next renewal (within `retryPeriod`): a standby
    /// that received a webhook passes the news on this way, through the API server, so no replica needs to reach
    /// another directly. The leader's next renewal may lose one race (409) to this write and retries, well within
    /// its renew deadline.
    public func signal(annotation: String, value: String) async throws(KubeError) {
        _ = try await client.patch(.leases, name: configuration.leaseName, namespace: configuration.namespace,
                                   .merge(["metadata": ["annotations": [annotation: .string(value)]]]))
    }

    /// What this contender last saw of the lease.
    private struct Observation {
        var lease: JSONValue?
        var spec: JSONValue?
        var time: Date = .distantPast

        func holder() -> String { spec?["holderIdentity"]?.stringValue ?? "" }
    }

    /// Contends for the lease until the calling task is cancelled or leadership is lost. While leading, runs
    /// `whileLeading` in a child task, which is cancelled the moment leadership ends; returns after it has finished
    /// (and, on cancellation, after the lease was released).
    public func run(whileLeading: @escaping @Sendable () async -> Void) async {
        var observation = Observation()
        // Acquire.
        while true {
            if Task.isCancelled { return }
            if await tryAcquireOrRenew(&observation) { break }
            do { try await clock.sleep(for: jittered(configuration.retryPeriod)) } catch { return }
        }
        logger.info("became leader", metadata: ["lease": "\(configuration.namespace)/\(configuration.leaseName)", "identity": "\(configuration.identity)"])

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await whileLeading() }
            await renewUntilLost(&observation)
            group.cancelAll()
            await group.waitForAll()
        }
        if Task.isCancelled && configuration.releaseOnCancel {
            await release(observation)
        }
    }

    /// Renews every retryPeriod; returns when a renewal round failed for a whole renewDeadline, or on cancellation.
    private func renewUntilLost(_ observation: inout Observation) async {
        while !Task.isCancelled {
            let deadline = clock.now().addingTimeInterval(seconds(configuration.renewDeadline))
            var renewed = false
            while !Task.isCancelled && clock.now() < deadline {
                if await tryAcquireOrRenew(&observation) {
                    renewed = true
                    break
                }
                do { try await clock.sleep(for: configuration.retryPeriod) } catch { return }
            }
            if Task.isCancelled { return }
            guard renewed else {
                logger.warning("failed to renew the lease within the renew deadline; stopped leading",
                               metadata: ["lease": "\(configuration.namespace)/\(configuration.leaseName)"])
                return
            }
            do { try await clock.sleep(for: configuration.retryPeriod) } catch { return }
        }
    }

    /// One round of client-go's tryAcquireOrRenew.
    private func tryAcquireOrRenew(_ observation: inout Observation) async -> Bool {
        let now = clock.now()
        let leaseSeconds = Int64(configuration.leaseDuration.components.seconds)
        var spec: [String: JSONValue] = [
            "holderIdentity": .string(configuration.identity),
            "leaseDurationSeconds": .integer(leaseSeconds),
            "acquireTime": .string(Self.microTime(now)),
            "renewTime": .string(Self.microTime(now)),
        ]

        // 1. Obtain or create the lease.
        let current: JSONValue
        do {
            current = try await client.get(.leases, name: configuration.leaseName, namespace: configuration.namespace)
        } catch .notFound {
            spec["leaseTransitions"] = 0
            let lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(configuration.leaseName), "namespace": .string(configuration.namespace)],
                "spec": .object(spec),
            ]
            do {
                let created = try await client.create(.leases, lease, namespace: configuration.namespace)
                observation = Observation(lease: created, spec: created["spec"], time: clock.now())
                return true
            } catch {
                logger.debug("creating the lease failed", metadata: ["error": "\(error)"])
                return false
            }
        } catch {
            logger.debug("reading the lease failed", metadata: ["error": "\(error)"])
            return false
        }

        // 2. Record obtained: note when it last changed, and respect a live holder.
        let oldSpec = current["spec"] ?? [:]
        if oldSpec != observation.spec {
            observation.spec = oldSpec
            observation.time = now
        }
        observation.lease = current
        let holder = oldSpec["holderIdentity"]?.stringValue ?? ""
        let oldDuration = TimeInterval(oldSpec["leaseDurationSeconds"]?.integerValue ?? 0)
        let isLeader = holder == configuration.identity
        if !holder.isEmpty && observation.time.addingTimeInterval(oldDuration) > now && !isLeader {
            return false
        }
        if isLeader, let onLeaderRead {
            var annotations: [String: String] = [:]
            for (key, value) in current[path: "metadata", "annotations"]?.objectValue ?? [:] {
                if let text = value.stringValue { annotations[key] = text }
            }
            onLeaderRead(annotations)
        }

        // 3. Take or renew it, conditional on the resourceVersion just read.
        let transitions = oldSpec["leaseTransitions"]?.integerValue ?? 0
        if isLeader {
            if let acquired = oldSpec["acquireTime"] { spec["acquireTime"] = acquired }
            spec["leaseTransitions"] = .integer(transitions)
        } else {
            spec["leaseTransitions"] = .integer(transitions + 1)
        }
        var updated = current
        updated["spec"] = .object(spec)
        do {
            let stored = try await client.update(.leases, updated, namespace: configuration.namespace)
            observation = Observation(lease: stored, spec: stored["spec"], time: clock.now())
            return true
        } catch .conflict {
            logger.debug("lost the race for the lease (409)")
            return false
        } catch {
            logger.debug("updating the lease failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Gives the lease up so the next contender need not wait for it to expire. Runs even though the task is
    /// cancelled: that is when it is needed. The lease is read afresh first, because a renewal cancelled mid-flight
    /// may still have been stored, leaving this contender's resourceVersion stale; a lease someone else now holds is
    /// left alone.
    private func release(_ observation: Observation) async {
        guard observation.holder() == configuration.identity else { return }
        var lastError: KubeError?
        for _ in 0..<3 {
            do {
                var lease = try await client.get(.leases, name: configuration.leaseName, namespace: configuration.namespace,
                                                 ignoringCancellation: true)
                let spec = lease["spec"] ?? [:]
                guard spec["holderIdentity"]?.stringValue == configuration.identity else { return }
                let now = clock.now()
                lease["spec"] = [
                    "holderIdentity": "",
                    "leaseDurationSeconds": 1,
                    "acquireTime": .string(Self.microTime(now)),
                    "renewTime": .string(Self.microTime(now)),
                    "leaseTransitions": .integer(spec["leaseTransitions"]?.integerValue ?? 0),
                ]
                _ = try await client.update(.leases, lease, namespace: configuration.namespace, ignoringCancellation: true)
                logger.info("released the lease", metadata: ["lease": "\(configuration.namespace)/\(configuration.leaseName)"])
                return
            } catch .conflict(let status) {
                lastError = .conflict(status)
                continue
            } catch {
                lastError = error
                break
            }
        }
        logger.warning("releasing the lease failed; it expires on its own", metadata: ["error": "\(lastError.map { "\($0)" } ?? "")"])
    }

    /// client-go's wait.Jitter: duration + random × factor × duration.
    private func jittered(_ duration: Duration) -> Duration {
        configuration.jitterFactor > 0 ? duration + duration * Double.random(in: 0..<configuration.jitterFactor) : duration
    }

    private func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// MicroTime, `2006-01-02T15:04:05.000000Z`.
    static func microTime(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var text = Timestamp(secondsSinceEpoch: seconds).description
        if text.hasSuffix("Z") { text.removeLast() }
        let digits = String(fraction)
        return text + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }
}
