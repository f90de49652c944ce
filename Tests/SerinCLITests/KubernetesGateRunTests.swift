import Foundation
import Testing

/// The scenarios of `serin run --runtime kubernetes` where gates decide: a real Prometheus (Debian's package)
/// scrapes the request metrics an Istio mesh would report for each version (served by the test, which decides how
/// healthy each version looks), and Serin queries it with `--default-metrics-source istio`. Approvals are commits.
extension KubernetesRunTests {
    static let successGate = "[{successRate: {min: 0.95}}]"

    @Test func aVersionWhoseMetricsFailIsRolledBackWithTheMeasuredValuesInTheLedgerAndNotRetried() async throws {
        let world = try await World(prometheus: true)
        let serin = try await world.deployVersion1(interval: "4s", gates: Self.successGate, rollout: ["minRequests: 10"])

        world.serve(version: "1", requests: 20)
        world.serve(version: "2", requests: 20, errors: 8)
        try world.write(version: "2", interval: "4s", gates: Self.successGate, rollout: ["minRequests: 10"])
        try world.repository.commit("iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Failed 0% (v2)", within: .seconds(120)), "\(world.logs)")

        let transitions = world.transitions(of: "v2")
        #expect(!transitions.contains { $0.hasPrefix("Progressing 100") || $0.hasPrefix("Promoting") }, "\(transitions)")
        #expect(transitions.contains { $0.hasPrefix("RollingBack") }, "\(transitions)")
        let message = world.lastLedgerMessage
        // About 60% measured against the 95% minimum, as Prometheus computed it.
        #expect(message.contains("successRate") && message.contains("0.95") && message.contains("0.6"), "\(message)")
        #expect(await world.eventually {
            let names = try world.names("deployments")
            return names.count == 1 && names[0].hasPrefix("deployment.apps/iris-1-")
        }, "stable alone: \((try? world.names("deployments")) ?? [])")
        let replicas = try world.kubectl("get", try world.names("deployments")[0], "-o", "jsonpath={.spec.replicas}")
        #expect(replicas.output == "2", "\(replicas.output)")

        // No retry until the next commit: syncs see the same document and leave the failure alone.
        let settled = world.ledger.count
        #expect(try await world.announcePush(to: serin) == 202)
        try await Task.sleep(for: .seconds(6))
        #expect(world.ledger.count == settled, "\(world.ledger)")
        #expect(try world.names("deployments").count == 1)
    }

    @Test func aPrometheusOutageMidRolloutPromotesNothingWhileChecksAreInconclusive() async throws {
        let world = try await World(prometheus: true)
        let rollout = ["minRequests: 10", "maxInconclusiveChecks: 3"]
        let serin = try await world.deployVersion1(interval: "5s", gates: Self.successGate, rollout: rollout)

        world.serve(version: "2", requests: 20)
        try world.write(version: "2", interval: "5s", gates: Self.successGate, rollout: rollout)
        try world.repository.commit("iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Progressing 50% (v2)"), "\(world.logs)")
        world.stopPrometheus()

        // Three inconclusive checks in a row end the rollout; until then nothing moves past 50%.
        #expect(await world.ledgerEnds(with: "ml/iris: Failed 0% (v2)", within: .seconds(120)), "\(world.logs)")
        let transitions = world.transitions(of: "v2")
        #expect(!transitions.contains { $0.hasPrefix("Progressing 100") || $0.hasPrefix("Promoting") || $0.hasPrefix("Succeeded") },
                "\(transitions)")
        let inconclusive = serin.text.split(separator: "\n").filter { $0.contains("gate checked") && $0.contains(#""verdict":"inconclusive""#) }
        #expect(inconclusive.count >= 3, "\(serin.text)")
        #expect(world.lastLedgerMessage.contains("inconclusive"), "\(world.lastLedgerMessage)")
    }

    @Test func anApprovalGateWaitsUntilTheApprovalIsMergedInGit() async throws {
        let world = try await World()
        let serin = try await world.deployVersion1(rollout: ["approval: {before: 100}"])

        try world.write(version: "2", rollout: ["approval: {before: 100}"])
        try world.repository.commit("iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.eventually { world.ledger.last?.hasPrefix("ml/iris: AwaitingApproval 50%") == true }, "\(world.logs)")
        // Gate intervals of 1 s pass, and resyncs come, but nothing moves without the approval.
        try await world.announcePush(to: serin)
        try await Task.sleep(for: .seconds(5))
        #expect(world.ledger.last?.hasPrefix("ml/iris: AwaitingApproval 50%") == true, "\(world.ledger)")
        #expect(world.transitions(of: "v2").filter { $0.hasPrefix("AwaitingApproval") }.count == 1, "\(world.ledger)")

        let approval = world.repository.root.appendingPathComponent("repo/approvals/ml/iris")
        try FileManager.default.createDirectory(at: approval, withIntermediateDirectories: true)
        try Data("approved-by: release-manager\n".utf8).write(to: approval.appendingPathComponent("2"))
        try world.repository.commit("approve iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")
        #expect(world.transitions(of: "v2").contains("Progressing 100%"), "\(world.ledger)")
    }
}
