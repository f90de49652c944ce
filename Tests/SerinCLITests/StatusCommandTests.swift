import Foundation
import Testing

/// `serin status` end to end, against a repository whose ledger branch is made with the git CLI.
@Suite("serin status")
struct StatusCommandTests {
    let cli = ValidateCommandTests()
    typealias Repository = PlanAndHistoryCommandTests.Repository

    /// A repository whose `serin/status` branch records iris mid-canary and wine settled.
    func repositoryWithALedger() throws -> Repository {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        try repository.git("checkout", "--quiet", "--orphan", "serin/status")
        try repository.git("rm", "--quiet", "-rf", ".")
        try FileManager.default.createDirectory(at: repository.root.appendingPathComponent("repo/status/ml"), withIntermediateDirectories: true)
        for (name, phase, stable, canary, weight, reason) in [
            ("wine", "Succeeded", "3", nil, 100, "v3 is the stable version and takes all traffic."),
            ("iris", "Progressing", "1", "2", 20, "Holding v2 at 20%: successRate fail; checking again in 10s."),
        ] {
            let status = """
            apiVersion: serin.dev/v1alpha1
            kind: RolloutStatus
            metadata:
              name: \(name)
              namespace: ml
            status:
              phase: \(phase)
              stableVersion: "\(stable)"
            \(canary.map { "  canaryVersion: \"\($0)\"\n" } ?? "")  canaryWeight: \(weight)
              desiredCommit: \(String(repeating: "c", count: 40))
              reason: "\(reason)"
              startedAt: 2026-11-29T00:00:00Z
              updatedAt: 2026-11-29T00:01:00Z
              gates: []

            """
            try Data(status.utf8).write(to: repository.root.appendingPathComponent("repo/status/ml/\(name).yaml"))
            try repository.commit("ml/\(name): \(phase) \(weight)%")
        }
        return repository
    }

    func status(_ arguments: [String], in repository: Repository) throws -> ValidateCommandTests.Outcome {
        try cli.serin(["status"] + arguments + ["--repo", repository.path,
                                                "--cache-dir", repository.root.appendingPathComponent("cache").path])
    }

    @Test func printsEveryModelTheLedgerKnowsOneLineEach() throws {
        let outcome = try status([], in: repositoryWithALedger())
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == """
        MODEL    PHASE        STABLE  CANARY  WEIGHT  UPDATED               REASON
        ml/iris  Progressing  v1      v2      20%     2026-11-29T00:01:00Z  Holding v2 at 20%: successRate fail; checking again in 10s.
        ml/wine  Succeeded    v3      -       100%    2026-11-29T00:01:00Z  v3 is the stable version and takes all traffic.

        """)
    }

    @Test func printsOnlyTheNamedModels() throws {
        let outcome = try status(["ml/wine", "-o", "json"], in: repositoryWithALedger())
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let models = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        #expect(models.map { $0["model"] as? String } == ["ml/wine"])
        #expect(models.first?["phase"] as? String == "Succeeded")
    }

    @Test func aModelWithoutAStatusIsAnErrorNamingTheModelsWithOne() throws {
        let outcome = try status(["ml/iris", "ml/lily"], in: repositoryWithALedger())
        #expect(outcome.status == 2)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr == "error: no status for ml/lily on serin/status: the models with one are ml/iris, ml/wine\n")
    }

    @Test func aRepositoryWithoutALedgerPrintsNothingAndSaysSo() throws {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        let outcome = try status([], in: repository)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr == "no rollout recorded on serin/status yet\n")
    }

    @Test func aModelMustBeNamespaceAndName() throws {
        let outcome = try cli.serin(["status", "iris"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("NAMESPACE/NAME"))
    }
}
