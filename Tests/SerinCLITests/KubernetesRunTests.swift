import Crypto
import Foundation
import SerinHTTP
import Testing

/// `serin run --runtime kubernetes` end to end, as an operator runs it: the built `serin` against the built
/// `kube-emulator`, a Git repository made with the git CLI, and the real `kubectl` and `git log serin/status` to see
/// what happened. Serialized: each test runs an API server and one or two operators on a shared machine.
@Suite("serin run on Kubernetes", .serialized)
struct KubernetesRunTests {
    static let secret = "k8s-hook-secret-8d2a41"
    static let binaries = ValidateCommandTests.executable.deletingLastPathComponent()

    /// A child process with its log in a file; killed (SIGKILL) when dropped, so no test leaves one behind.
    final class Child {
        let process = Process()
        let log: URL

        init(_ executable: URL, arguments: [String], environment: [String: String], log: URL) throws {
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = executable
            process.arguments = arguments
            process.environment = environment
            let handle = try FileHandle(forWritingTo: log)
            process.standardError = handle
            process.standardOutput = handle
            try process.run()
        }

        var text: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func line(containing needle: String, within limit: Duration = .seconds(60)) async -> String? {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if let line = text.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
                if !process.isRunning { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return text.split(separator: "\n").first(where: { $0.contains(needle) }).map(String.init)
        }

        func port(after prefix: String) async -> Int? {
            guard let line = await line(containing: prefix), let range = line.range(of: prefix) else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }

        /// SIGKILL, as a crashed node or an OOM kill: no shutdown path runs.
        func kill() {
            guard process.isRunning else { return }
            _ = Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { kill() }
    }

    /// One scenario's world: a repository, an emulated API server, kubectl, and the operators started on them.
    final class World {
        let repository: PlanAndHistoryCommandTests.Repository
        let emulator: Child
        let kubeconfig: String
        let secretFile: URL
        var operators: [Child] = []

        init() async throws {
            repository = try PlanAndHistoryCommandTests.Repository()
            kubeconfig = repository.root.appendingPathComponent("kubeconfig").path
            emulator = try Child(KubernetesRunTests.binaries.appendingPathComponent("kube-emulator"),
                                 arguments: ["--port", "0", "--kubeconfig-out", kubeconfig],
                                 environment: ["PATH": "/usr/bin:/bin", "HOME": repository.root.path],
                                 log: repository.root.appendingPathComponent("emulator.log"))
            secretFile = repository.root.appendingPathComponent("secret")
            try Data(KubernetesRunTests.secret.utf8).write(to: secretFile)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
            guard await emulator.line(containing: "kube-emulator serving") != nil else {
                throw Failure("the emulator did not start: \(emulator.text)")
            }
            let namespace = try kubectl("create", "namespace", "ml")
            guard namespace.status == 0 else { throw Failure("kubectl create namespace: \(namespace.output)") }
        }

        deinit {
            for child in operators { child.kill() }
            emulator.kill()
        }

        struct Failure: Error, CustomStringConvertible {
            var description: String
            init(_ description: String) { self.description = description }
        }

        /// Starts `serin run --runtime kubernetes` on this world, with its own state directory.
        @discardableResult
        func startOperator(_ name: String = "serin", interval: String = "1h", extra: [String] = []) throws -> Child {
            let child = try Child(
                ValidateCommandTests.executable,
                arguments: ["run", "--runtime", "kubernetes", "--kubeconfig", kubeconfig, "--repo", repository.path,
                            "--state-dir", repository.root.appendingPathComponent("state-\(name)").path,
                            "--listen", "127.0.0.1:0", "--interval", interval, "--namespace", "ml",
                            "--webhook-secret-file", secretFile.path] + extra,
                environment: ["PATH": "\(KubernetesRunTests.binaries.path):/usr/bin:/bin", "HOME": repository.root.path],
                log: repository.root.appendingPathComponent("\(name)-\(operators.count).log"))
            operators.append(child)
            return child
        }

        func write(version: String, name: String = "iris", steps: String = "[50, 100]", interval: String = "1s") throws {
            let text = """
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata: {name: \(name), namespace: ml}
            spec:
              model: {name: \(name), version: "\(version)", uri: s3://models/\(name)/\(version)}
              runtime: {image: docker.io/seldonio/mlserver:1.7.1}
              replicas: 2
              traffic: {provider: replicas}
              rollout:
                steps: \(steps)
                interval: \(interval)
                gates: []

            """
            try Data(text.utf8).write(to: repository.root.appendingPathComponent("repo/deployments/\(name).yaml"))
        }

        /// The real kubectl, in namespace ml, with a discovery cache of its own.
        func kubectl(_ arguments: String...) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
            process.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", repository.root.appendingPathComponent("kubecache").path,
                                 "-n", "ml"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// The names (`deployment.apps/iris-…`) of this model's objects of `kind`.
        func names(_ kind: String) throws -> [String] {
            let result = try kubectl("get", kind, "-l", "serin.dev/model=iris", "-o", "name")
            guard result.status == 0 else { throw Failure("kubectl get \(kind): \(result.output)") }
            return result.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }

        /// The ledger's subjects, oldest first.
        var ledger: [String] {
            // Before the first transition there is no ledger branch yet.
            guard let branch = try? repository.git("for-each-ref", "refs/heads/serin/status"), !branch.isEmpty else { return [] }
            let text = (try? repository.git("log", "--format=%s", "serin/status")) ?? ""
            return text.split(separator: "\n").map(String.init).reversed()
        }

        /// Waits until `condition` holds, polling; false at the deadline.
        func eventually(within limit: Duration = .seconds(90), _ condition: () throws -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if (try? condition()) == true { return true }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return (try? condition()) == true
        }

        func ledgerEnds(with subject: String, within limit: Duration = .seconds(90)) async -> Bool {
            await eventually(within: limit) { ledger.last == subject }
        }

        /// A signed GitHub push webhook to `serin`'s endpoints: a sync now rather than at the next poll.
        func announcePush(to serin: Child) async throws {
            guard let port = await serin.port(after: "Serin's endpoints on http://127.0.0.1:") else {
                throw Failure("no endpoints line: \(serin.text)")
            }
            let push = #"{"ref":"refs/heads/main"}"#
            let mac = HMAC<SHA256>.authenticationCode(for: Data(push.utf8), using: SymmetricKey(data: Data(KubernetesRunTests.secret.utf8)))
            let signature = mac.map { String(format: "%02x", $0) }.joined()
            let response = try await HTTPTransport.send(HTTPRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/hooks/github",
                headers: ["X-GitHub-Event: push", "X-Hub-Signature-256: sha256=\(signature)", "Content-Type: application/json"],
                body: Array(push.utf8), timeout: .seconds(10)))
            guard response.status == 202 else { throw Failure("webhook answered \(response.status)") }
        }

        /// The `Phase W%` of each ledger subject about `version`, oldest first.
        func transitions(of version: String) -> [String] {
            ledger.filter { $0.hasPrefix("ml/iris: ") && $0.hasSuffix("(\(version))") }
                .map { String($0.dropFirst("ml/iris: ".count).dropLast(" (\(version))".count)) }
        }

        var logs: String {
            "ledger:\n\(ledger.joined(separator: "\n"))\n" + operators.map { "--- \($0.log.lastPathComponent)\n\($0.text)" }.joined(separator: "\n")
        }
    }

    @Test func aFirstDeployCreatesTheDeploymentAndServicesAndRecordsSuccess() async throws {
        let world = try await World()
        try world.write(version: "1")
        try world.repository.commit("deploy iris v1")
        try world.startOperator()

        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v1)"), "\(world.logs)")
        let deployments = try world.names("deployments")
        #expect(deployments.count == 1, "\(deployments)")
        #expect(deployments.first?.hasPrefix("deployment.apps/iris-1-") == true, "\(deployments)")
        let services = Set(try world.names("services"))
        #expect(services.contains("service/iris"), "\(services)")
        #expect(services.contains(deployments.first.map { "service/" + $0.dropFirst("deployment.apps/".count) } ?? ""), "\(services)")
        let replicas = try world.kubectl("get", deployments.first ?? "", "-o", "jsonpath={.spec.replicas} {.status.readyReplicas}")
        #expect(replicas.output == "2 2", "\(replicas.output)")
    }

    @Test func aNewVersionGoesThroughEveryStepAndTheOldDeploymentIsDeleted() async throws {
        let world = try await World()
        try world.write(version: "1")
        try world.repository.commit("deploy iris v1")
        let serin = try world.startOperator()
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v1)"), "\(world.logs)")
        let old = try #require(try world.names("deployments").first)

        try world.write(version: "2")
        try world.repository.commit("iris v2")
        try await world.announcePush(to: serin)
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")

        let transitions = world.transitions(of: "v2")
        #expect(transitions.map { $0.split(separator: " ")[0] } == ["Pending", "Progressing", "Progressing", "Promoting", "Succeeded"],
                "\(transitions)")
        #expect(transitions.filter { $0.hasPrefix("Progressing") } == ["Progressing 50%", "Progressing 100%"], "\(transitions)")
        #expect(await world.eventually { try world.names("deployments").count == 1 }, "\((try? world.names("deployments")) ?? [])")
        let remaining = try world.names("deployments")
        #expect(!remaining.contains(old), "\(remaining)")
        #expect(remaining.first?.hasPrefix("deployment.apps/iris-2-") == true, "\(remaining)")
    }

    @Test func aDeploymentScaledWithKubectlIsScaledBackAndTheRevertIsAnEvent() async throws {
        let world = try await World()
        try world.write(version: "1")
        try world.repository.commit("deploy iris v1")
        let serin = try world.startOperator()
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v1)"), "\(world.logs)")
        let deployment = try #require(try world.names("deployments").first)

        let scaled = try world.kubectl("scale", deployment, "--replicas=5")
        #expect(scaled.status == 0, "\(scaled.output)")
        // The change itself should trigger a pass; a webhook makes sure one runs even if it did not.
        try await world.announcePush(to: serin)
        #expect(await world.eventually {
            try world.kubectl("get", deployment, "-o", "jsonpath={.spec.replicas}").output == "2"
        }, "\(world.logs)")
        #expect(await world.eventually {
            let events = try world.kubectl("get", "events", "-o", #"jsonpath={range .items[*]}{.type} {.reason} {.involvedObject.name}: {.message}{"\n"}{end}"#)
            return events.output.split(separator: "\n").contains {
                $0.hasPrefix("Warning DriftReverted \(deployment.dropFirst("deployment.apps/".count)):") && $0.contains("spec.replicas was 5, set to 2")
            }
        }, "\((try? world.kubectl("get", "events", "-o", "yaml").output) ?? "")")
    }

    @Test func aModelRemovedFromGitHasItsObjectsDeletedAndIsRecordedAsRemoved() async throws {
        let world = try await World()
        try world.write(version: "1")
        // Another model stays, so the commit that removes iris still has a deployments/ directory.
        try world.write(version: "7", name: "wine")
        try world.repository.commit("deploy iris v1")
        let serin = try world.startOperator()
        #expect(await world.eventually { world.ledger.contains("ml/iris: Succeeded 100% (v1)") }, "\(world.logs)")
        #expect(!(try world.names("deployments")).isEmpty)

        try world.repository.git("rm", "--quiet", "deployments/iris.yaml")
        try world.repository.commit("remove iris")
        try await world.announcePush(to: serin)
        #expect(await world.eventually { world.ledger.contains { $0.hasPrefix("ml/iris: Removed") } }, "\(world.logs)")
        #expect(await world.eventually {
            try world.names("deployments").isEmpty && world.names("services").isEmpty
        }, "\((try? world.kubectl("get", "deployments,services").output) ?? "")")
        let wine = try world.kubectl("get", "deployments", "-l", "serin.dev/model=wine", "-o", "name")
        #expect(wine.output.hasPrefix("deployment.apps/wine-7-"), "the model still in Git keeps its Deployment: \(wine.output)")
    }

    @Test func anOperatorKilledMidRolloutContinuesFromTheSameStepAfterARestart() async throws {
        let world = try await World()
        try world.write(version: "1", interval: "3s")
        try world.repository.commit("deploy iris v1")
        let first = try world.startOperator()
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v1)"), "\(world.logs)")

        try world.write(version: "2", interval: "3s")
        try world.repository.commit("iris v2")
        try await world.announcePush(to: first)
        #expect(await world.ledgerEnds(with: "ml/iris: Progressing 50% (v2)"), "\(world.logs)")
        first.kill()
        let before = world.transitions(of: "v2")

        try world.startOperator()
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")
        let transitions = world.transitions(of: "v2")
        #expect(Array(transitions.prefix(before.count)) == before, "\(transitions)")
        #expect(transitions.count == Set(transitions).count, "a step recorded twice: \(transitions)")
        #expect(!transitions.contains("Pending 0%") || transitions.firstIndex(of: "Pending 0%") == 0, "\(transitions)")
        #expect(transitions.contains("Progressing 100%"), "\(transitions)")
        #expect(await world.eventually { try world.names("deployments").count == 1 }, "\((try? world.names("deployments")) ?? [])")
    }

    @Test func twoLeaderElectingOperatorsHaveOneLeaderAndTheOtherTakesOverWhenItIsKilled() async throws {
        let world = try await World()
        try world.write(version: "1")
        try world.repository.commit("deploy iris v1")
        let a = try world.startOperator("a", extra: ["--leader-elect"])
        let b = try world.startOperator("b", extra: ["--leader-elect"])
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v1)"), "\(world.logs)")
        // Give the standby a few of its retries to show it stays one.
        try await Task.sleep(for: .seconds(5))
        let leaders = [a, b].filter { $0.text.contains("became leader") }
        try #require(leaders.count == 1, "\(world.logs)")
        let leader = leaders[0]
        let standby = leader === a ? b : a
        #expect(world.transitions(of: "v1").count == Set(world.transitions(of: "v1")).count, "\(world.transitions(of: "v1"))")
        // The standby watches but never writes: every object and ledger entry so far is the leader's.
        #expect(!standby.text.contains("object=Deployment") && !standby.text.contains("phase="), "\(standby.text)")
        #expect(leader.text.contains("object=Deployment ml/iris-1-"), "\(leader.text)")

        try world.write(version: "2")
        try world.repository.commit("iris v2")
        leader.kill()
        // 15 s lease: the standby should lead well within 25 s, plus slack for a loaded machine.
        #expect(await standby.line(containing: "became leader", within: .seconds(40)) != nil, "\(world.logs)")
        #expect(await world.ledgerEnds(with: "ml/iris: Succeeded 100% (v2)"), "\(world.logs)")
        let transitions = world.transitions(of: "v2")
        #expect(transitions.filter { $0.hasPrefix("Progressing") } == ["Progressing 50%", "Progressing 100%"], "\(transitions)")
    }
}
