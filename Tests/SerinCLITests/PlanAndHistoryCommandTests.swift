import Foundation
import Testing

/// `serin plan` and `serin history` end to end, against a repository made with the git CLI.
@Suite("serin plan and serin history")
struct PlanAndHistoryCommandTests {
    let cli = ValidateCommandTests()

    /// A work-tree repository with deployments, in a scratch directory.
    final class Repository {
        let root: URL
        let environment: [String: String]

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-plan-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("repo/deployments"), withIntermediateDirectories: true)
            environment = [
                "HOME": root.path, "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
            ]
            try git("init", "--quiet", "--initial-branch", "main")
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        var path: String { root.appendingPathComponent("repo").path }

        @discardableResult
        func git(_ arguments: String...) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = arguments
            process.currentDirectoryURL = root.appendingPathComponent("repo")
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
            return String(decoding: data, as: UTF8.self)
        }

        func write(_ name: String, version: String, replicas: Int = 1) throws {
            let text = """
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata: {name: \(name), namespace: ml}
            spec:
              model: {version: "\(version)", uri: s3://models/\(name)/\(version)}
              runtime: {image: seldonio/mlserver:1.7.1}
              replicas: \(replicas)

            """
            try Data(text.utf8).write(to: root.appendingPathComponent("repo/deployments/\(name).yaml"))
        }

        func commit(_ message: String) throws {
            try git("add", "-A")
            try git("commit", "--quiet", "-m", message)
        }
    }

    @Test func planShowsEachModelsChangeAndExitsZero() throws {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.write("fraud", version: "12")
        try repository.commit("base")
        try repository.git("checkout", "--quiet", "-b", "feature")
        try repository.write("iris", version: "1", replicas: 3)
        try repository.write("fraud", version: "13")
        try repository.commit("fraud v13, iris scaled")

        let outcome = try cli.serin(["plan", "--repo", repository.path, "--from", "main", "--to", "feature",
                                     "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("ml/fraud: new version 12 → 13"))
        #expect(outcome.stdout.contains("ml/iris: scaled 1 → 3 replicas"))
    }

    @Test func planOfAnInvalidTargetExitsOneWithLocatedErrors() throws {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        try Data("apiVersion: serin.dev/v1alpha1\nkind: ModelDeployment\nmetadata: {name: Bad_Name}\n".utf8)
            .write(to: repository.root.appendingPathComponent("repo/deployments/bad.yaml"))
        try repository.commit("broken")

        let outcome = try cli.serin(["plan", "--repo", repository.path, "--from", "main~1", "--to", "main", "-o", "json",
                                     "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(outcome.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.contains { $0["file"] as? String == "deployments/bad.yaml" && $0["line"] as? Int == 3 })
    }

    @Test func planOfAnUnknownRevisionIsAnOperationalError() throws {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        let outcome = try cli.serin(["plan", "--repo", repository.path, "--from", "main", "--to", "no-such-branch",
                                     "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("error: could not resolve the revision no-such-branch"))
    }

    @Test func historyOfAModelWithoutALedgerIsEmpty() throws {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        let outcome = try cli.serin(["history", "ml/iris", "--repo", repository.path, "-o", "json",
                                     "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func theRepositoryAndItsOptionsCanComeFromTheEnvironment() throws {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        let outcome = try cli.serin(["history", "ml/iris", "-o", "json"], environment: [
            "SERIN_REPO": repository.path, "SERIN_CACHE_DIR": repository.root.appendingPathComponent("cache").path,
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(FileManager.default.fileExists(atPath: repository.root.appendingPathComponent("cache").path), "the mirror went elsewhere")
        // A flag wins over its variable.
        let flagged = try cli.serin(["history", "ml/iris", "--repo", "/no/such/repository"], environment: ["SERIN_REPO": repository.path])
        #expect(flagged.status != 0 && flagged.stderr.contains("/no/such/repository"), "\(flagged.stderr)")
    }

    /// A repository whose ledger holds three transitions of ml/iris: Progressing 10%, Progressing 50%, Succeeded.
    func repositoryWithIrisHistory() throws -> (Repository, desired: String) {
        let repository = try Repository()
        try repository.write("iris", version: "1")
        try repository.commit("base")
        try repository.git("checkout", "--quiet", "--orphan", "serin/status")
        try repository.git("rm", "--quiet", "-rf", ".")
        let desired = String(repeating: "c", count: 40)
        for (second, phase, weight) in [(60, "Progressing", 10), (120, "Progressing", 50), (180, "Succeeded", 0)] {
            let status = """
            apiVersion: serin.dev/v1alpha1
            kind: RolloutStatus
            metadata:
              name: iris
              namespace: ml
            status:
              phase: \(phase)
              stableVersion: "1"
              canaryVersion: "2"
              canaryWeight: \(weight)
              desiredCommit: \(desired)
              reason: step
              startedAt: 2026-11-29T00:00:00Z
              updatedAt: 2026-11-29T00:0\(second / 60):00Z
              gates: []

            """
            try FileManager.default.createDirectory(at: repository.root.appendingPathComponent("repo/status/ml"), withIntermediateDirectories: true)
            try Data(status.utf8).write(to: repository.root.appendingPathComponent("repo/status/ml/iris.yaml"))
            try repository.commit("""
            ml/iris: \(phase) \(weight)% (v2)

            step

            Serin-Model: ml/iris
            Serin-Desired-Commit: \(desired)
            Serin-Phase: \(phase)
            Serin-Weight: \(weight)
            Serin-Version: 2
            """)
        }
        return (repository, desired)
    }

    @Test func historyPrintsTheLedgerOldestFirst() throws {
        let (repository, desired) = try repositoryWithIrisHistory()
        let outcome = try cli.serin(["history", "ml/iris", "--repo", repository.path, "-o", "json",
                                     "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["phase"] as? String } == ["Progressing", "Progressing", "Succeeded"])
        #expect(entries.map { $0["weight"] as? Int } == [10, 50, 0])
        #expect(entries.allSatisfy { $0["desiredCommit"] as? String == desired && $0["commit"] is String && $0["gates"] is [Any] })
        #expect(entries.first?["time"] as? String == "2026-11-29T00:01:00Z")
    }

    @Test func historyWithLastPrintsTheNewestTransitionsAfterANoteOfTheOthers() throws {
        let (repository, _) = try repositoryWithIrisHistory()
        let outcome = try cli.serin(["history", "ml/iris", "--repo", repository.path, "--last", "2",
                                     "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(outcome.stdout)")
        #expect(lines.first == "… 1 earlier transition (all of them: without --last)")
        #expect(lines.dropFirst().map { $0.contains("Progressing") && $0.contains("50%") || $0.contains("Succeeded") } == [true, true],
                "\(outcome.stdout)")
        let refused = try cli.serin(["history", "ml/iris", "--repo", repository.path, "-n", "0"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--last must be a whole number of at least 1, not 0"), "\(refused.stderr)")
    }

    @Test func historyNeedsANamespaceAndName() throws {
        let outcome = try cli.serin(["history", "iris"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("NAMESPACE/NAME"))
    }
}
