import Foundation
import KubeEmulator
import SerinCore
import SerinKube
import Testing

/// Who leads, as the contenders' `whileLeading` bodies report it, and the most leaders ever seen at once.
actor LeadershipLog {
    private(set) var leaders: Set<String> = []
    private(set) var maximumConcurrent = 0
    private(set) var history: [String] = []

    func started(_ identity: String) {
        leaders.insert(identity)
        history.append(identity)
        maximumConcurrent = max(maximumConcurrent, leaders.count)
    }

    func stopped(_ identity: String) { leaders.remove(identity) }
}

private func contender(_ client: KubeClient, _ identity: String, releaseOnCancel: Bool) -> LeaderElector {
    LeaderElector(client: client, configuration: LeaderElector.Configuration(
        leaseName: "serin-controller", namespace: "default", identity: identity,
        leaseDuration: .seconds(2), renewDeadline: .milliseconds(1_500), retryPeriod: .milliseconds(250),
        releaseOnCancel: releaseOnCancel), logger: Quiet.logger)
}

private func lead(_ elector: LeaderElector, _ log: LeadershipLog) async {
    let identity = elector.configuration.identity
    await elector.run {
        await log.started(identity)
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        await log.stopped(identity)
    }
}

@Suite("Leader election on Leases against the emulator")
struct LeaderElectionTests {
    @Test func defaultsAreClientGos() {
        let configuration = LeaderElector.Configuration(leaseName: "l", namespace: "n", identity: "me")
        #expect(configuration.leaseDuration == .seconds(15))
        #expect(configuration.renewDeadline == .seconds(10))
        #expect(configuration.retryPeriod == .seconds(2))
        #expect(configuration.jitterFactor == 1.2)
        #expect(configuration.isValid)
        #expect(LeaderElector.defaultIdentity().contains("_"))
    }

    @Test(arguments: [false, true])
    func whenTheLeaderIsCancelledTheOtherTakesOverWithinTheLeaseDurationAndNeverTwoLead(releaseOnCancel: Bool) async throws {
        try await withEmulator { _, client, _ in
            let log = LeadershipLog()
            let first = contender(client, "alpha", releaseOnCancel: releaseOnCancel)
            let second = contender(client, "beta", releaseOnCancel: releaseOnCancel)
            let alpha = Task { await lead(first, log) }
            let beta = Task { await lead(second, log) }
            #expect(await eventually { await !log.leaders.isEmpty })
            try await Task.sleep(for: .seconds(1))
            let leader = try #require(await log.leaders.first)
            #expect(await log.leaders.count == 1)

            let killedAt = ContinuousClock.now
            (leader == "alpha" ? alpha : beta).cancel()
            let other = leader == "alpha" ? "beta" : "alpha"
            #expect(await eventually(timeout: .seconds(6), every: .milliseconds(20)) { await log.leaders == [other] })
            let takeover = ContinuousClock.now - killedAt
            // Without a release the lease must expire first (2 s after the follower last saw it change, polled every
            // 250 ms with jitter); with a release the follower's next poll takes it.
            #expect(takeover < (releaseOnCancel ? .milliseconds(1_500) : .milliseconds(3_500)), "took \(takeover)")
            if !releaseOnCancel { #expect(takeover > .milliseconds(1_000), "took over before the lease could expire: \(takeover)") }

            alpha.cancel()
            beta.cancel()
            await alpha.value
            await beta.value
            #expect(await log.maximumConcurrent == 1)

            let lease = try await client.get(.leases, name: "serin-controller", namespace: "default")
            #expect(lease["spec"]?["leaseTransitions"]?.integerValue ?? 0 >= 1)
            #expect(lease["spec"]?["holderIdentity"] == (releaseOnCancel ? "" : .string(other)))
        }
    }

    @Test func leaderThatCannotRenewStopsLeadingWithinTheRenewDeadline() async throws {
        try await withEmulator { emulator, client, _ in
            let log = LeadershipLog()
            let elector = contender(client, "solo", releaseOnCancel: true)
            let task = Task { await lead(elector, log) }
            #expect(await eventually { await log.leaders == ["solo"] })
            var faults = EmulatorFaults()
            faults.internalErrorShare = 1
            await emulator.setFaults(faults)
            let cutOff = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(5), every: .milliseconds(20)) { await log.leaders.isEmpty })
            #expect(ContinuousClock.now - cutOff < .milliseconds(3_500))
            await task.value
            await emulator.setFaults(EmulatorFaults())
        }
    }

    @Test func leaderReleasesTheLeaseEvenWhenItChangedSinceItsLastRenewal() async throws {
        try await withEmulator { _, client, _ in
            let log = LeadershipLog()
            let elector = contender(client, "solo", releaseOnCancel: true)
            let task = Task { await lead(elector, log) }
            #expect(await eventually { await log.leaders == ["solo"] })
            // Someone else touches the lease (as a renewal cancelled mid-flight but stored would): the leader's
            // resourceVersion is now stale when it is cancelled.
            var touched = false
            while !touched {
                var lease = try await client.get(.leases, name: "serin-controller", namespace: "default")
                lease["metadata"]?["annotations"] = ["touched": "yes"]
                do throws(KubeError) {
                    _ = try await client.update(.leases, lease, namespace: "default")
                    touched = true
                } catch .conflict {
                    continue  // the leader renewed in between; touch the lease again
                }
            }
            task.cancel()
            await task.value
            let released = try await client.get(.leases, name: "serin-controller", namespace: "default")
            #expect(released["spec"]?["holderIdentity"] == "")
            #expect(released["spec"]?["leaseDurationSeconds"] == 1)
        }
    }

    @Test func leaseRecordsHolderDurationAndMicroTimes() async throws {
        try await withEmulator { _, client, _ in
            let log = LeadershipLog()
            let elector = contender(client, "recorder", releaseOnCancel: false)
            let task = Task { await lead(elector, log) }
            #expect(await eventually { await log.leaders == ["recorder"] })
            let lease = try await client.get(.leases, name: "serin-controller", namespace: "default")
            #expect(lease["spec"]?["holderIdentity"] == "recorder")
            #expect(lease["spec"]?["leaseDurationSeconds"] == 2)
            #expect(lease["spec"]?["leaseTransitions"] == 0)
            let renew = try #require(lease["spec"]?["renewTime"]?.stringValue)
            #expect(renew.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
            task.cancel()
            await task.value
        }
    }
}
