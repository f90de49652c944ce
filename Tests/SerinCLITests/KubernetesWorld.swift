import Crypto
import Foundation
import SerinHTTP
import TestSupport

extension KubernetesRunTests {
    /// One scenario's world: a deployments repository served by `git daemon` on loopback (Serin fetches from it and
    /// pushes its ledger to it), an emulated API server with its request log, kubectl, optionally a real Prometheus
    /// scraping an exporter the test controls, and the operators started on them.
    final class World {
        let repository: PlanAndHistoryCommandTests.Repository
        let emulator: LoggedProcess
        let daemon: ServerProcess
        let daemonPort: UInt16
        let kubeconfig: String
        let secretFile: URL
        let requestLog: URL
        /// What Prometheus scrapes: the Istio sidecars' request metrics per version, as the test sets them.
        let exporter: MetricsExporter?
        private(set) var prometheus: PrometheusServer?
        var operators: [LoggedProcess] = []

        init(prometheus withPrometheus: Bool = false) async throws {
            repository = try PlanAndHistoryCommandTests.Repository()
            kubeconfig = repository.root.appendingPathComponent("kubeconfig").path
            requestLog = repository.root.appendingPathComponent("requests.jsonl")
            emulator = try LoggedProcess(KubernetesRunTests.binaries.appendingPathComponent("kube-emulator"),
                                 arguments: ["--port", "0", "--kubeconfig-out", kubeconfig, "--request-log", requestLog.path],
                                 environment: ["PATH": "/usr/bin:/bin", "HOME": repository.root.path],
                                 log: repository.root.appendingPathComponent("emulator.log"))
            let root = repository.root
            (daemonPort, daemon) = try await GitDaemon.start(
                basePath: root, environment: ["PATH": "/usr/bin:/bin", "HOME": root.path, "GIT_CONFIG_NOSYSTEM": "1"],
                logFile: root.appendingPathComponent("git-daemon.log"))
            secretFile = repository.root.appendingPathComponent("secret")
            try Data(KubernetesRunTests.secret.utf8).write(to: secretFile)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
            if withPrometheus {
                let exporter = try MetricsExporter()
                self.exporter = exporter
                prometheus = try await PrometheusServer.start(scraping: exporter)
            } else {
                exporter = nil
            }
            guard await emulator.line(containing: "kube-emulator serving") != nil else {
                throw Failure("the emulator did not start: \(emulator.text)")
            }
            let namespace = try kubectl("create", "namespace", "ml")
            guard namespace.status == 0 else { throw Failure("kubectl create namespace: \(namespace.output)") }
        }

        deinit {
            for child in operators { child.kill() }
            emulator.kill()
            prometheus?.stop()
            exporter?.stop()
            daemon.stop()
        }

        struct Failure: Error, CustomStringConvertible {
            var description: String
            init(_ description: String) { self.description = description }
        }

        /// The repository as Serin reaches it: over git:// from the daemon.
        var repositoryURL: String { "git://127.0.0.1:\(daemonPort)/repo" }

        /// Starts `serin run --runtime kubernetes` on this world, with its own state directory and JSON logs.
        @discardableResult
        func startOperator(_ name: String = "serin", interval: String = "1h", extra: [String] = []) throws -> LoggedProcess {
            var arguments = ["run", "--runtime", "kubernetes", "--kubeconfig", kubeconfig, "--repo", repositoryURL,
                             "--state-dir", repository.root.appendingPathComponent("state-\(name)").path,
                             "--listen", "127.0.0.1:0", "--interval", interval, "--namespace", "ml",
                             "--webhook-secret-file", secretFile.path, "--log-format", "json"]
            if let prometheus {
                arguments += ["--prometheus-url", prometheus.url, "--default-metrics-source", "istio"]
            }
            let child = try LoggedProcess(
                ValidateCommandTests.executable, arguments: arguments + extra,
                environment: ["PATH": "\(KubernetesRunTests.binaries.path):/usr/bin:/bin", "HOME": repository.root.path],
                log: repository.root.appendingPathComponent("\(name)-\(operators.count).log"))
            operators.append(child)
            return child
        }

        /// Writes `deployments/<name>.yaml`. `gates` is a YAML flow sequence; `rollout` adds lines to `spec.rollout`.
        func write(version: String, name: String = "iris", steps: String = "[50, 100]", interval: String = "1s",
                   traffic: String = "{provider: replicas}", gates: String = "[]", rollout: [String] = []) throws {
            let text = """
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata: {name: \(name), namespace: ml}
            spec:
              model: {name: \(name), version: "\(version)", uri: s3://models/\(name)/\(version)}
              runtime: {image: docker.io/seldonio/mlserver:1.7.1}
              replicas: 2
              traffic: \(traffic)
              rollout:
                steps: \(steps)
                interval: \(interval)
                gates: \(gates)
            \(rollout.map { "    " + $0 }.joined(separator: "\n"))

            """
            try Data(text.utf8).write(to: repository.root.appendingPathComponent("repo/deployments/\(name).yaml"))
        }

        /// Commits iris v1 (written as `write` writes it), starts an operator and waits until the ledger records v1's
        /// success: where most scenarios begin.
        func deployVersion1(steps: String = "[50, 100]", interval: String = "1s", traffic: String = "{provider: replicas}",
                            gates: String = "[]", rollout: [String] = []) async throws -> LoggedProcess {
            try write(version: "1", steps: steps, interval: interval, traffic: traffic, gates: gates, rollout: rollout)
            try repository.commit("deploy iris v1")
            let serin = try startOperator()
            guard await ledgerEnds(with: "ml/iris: Succeeded 100% (v1)") else { throw Failure("v1 never succeeded\n\(logs)") }
            return serin
        }

        /// The HTTPRoute `iris` whose one rule sends inference requests to the stable Service, as a platform team
        /// writes it before Serin splits it.
        static let irisRoute = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: iris, namespace: ml}
        spec:
          parentRefs: [{name: inference-gateway}]
          rules:
            - matches: [{path: {type: PathPrefix, value: /v2/models/iris}}]
              backendRefs: [{name: iris, port: 80}]
        """

        /// Commits iris v1 and starts two leader-electing operators; returns them once v1 succeeded, leader first.
        func startLeaderElectingPair() async throws -> (leader: LoggedProcess, standby: LoggedProcess) {
            try write(version: "1")
            try repository.commit("deploy iris v1")
            let a = try startOperator("a", extra: ["--leader-elect"])
            let b = try startOperator("b", extra: ["--leader-elect"])
            guard await ledgerEnds(with: "ml/iris: Succeeded 100% (v1)") else { throw Failure("v1 never succeeded\n\(logs)") }
            guard let leader = [a, b].first(where: { $0.text.contains("became leader") }) else { throw Failure("no leader\n\(logs)") }
            return (leader, leader === a ? b : a)
        }

        /// Sets the traffic Prometheus sees for `version` of iris from the next scrape on.
        func serve(version: String, requests: Int, errors: Int = 0) {
            exporter?.set(.istio, namespace: "ml", deployment: "iris", model: "iris", version: version,
                          traffic: MetricsExporter.Traffic(requests: requests, errors: errors))
        }

        /// Stops Prometheus, as an outage mid-rollout.
        func stopPrometheus() {
            prometheus?.stop()
        }

        /// The real kubectl, in namespace ml, with a discovery cache of its own.
        func kubectl(_ arguments: String...) throws -> (status: Int32, output: String) {
            try ClusterInstall.run("/usr/bin/kubectl", kubectlArguments + arguments)
        }

        var kubectlArguments: [String] {
            ["--kubeconfig", kubeconfig, "--cache-dir", repository.root.appendingPathComponent("kubecache").path, "-n", "ml"]
        }

        /// Applies a manifest with kubectl.
        func apply(_ manifest: String) throws {
            let file = repository.root.appendingPathComponent("manifest-\(UUID().uuidString.prefix(8)).yaml")
            try Data(manifest.utf8).write(to: file)
            let result = try kubectl("apply", "--validate=false", "-f", file.path)
            guard result.status == 0 else { throw Failure("kubectl apply: \(result.output)") }
        }

        /// The names (`deployment.apps/iris-…`) of this model's objects of `kind`.
        func names(_ kind: String, model: String = "iris") throws -> [String] {
            let result = try kubectl("get", kind, "-l", "serin.dev/model=\(model)", "-o", "name")
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

        /// The full message of the newest ledger commit.
        var lastLedgerMessage: String {
            (try? repository.git("log", "-1", "--format=%B", "serin/status")) ?? ""
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

        /// Waits until the newest ledger commit is `subject`'s step: the subject itself, or a later commit at the
        /// same step with what it was after it (`…, held: successRate inconclusive`), which a check there may
        /// record between two polls.
        func ledgerEnds(with subject: String, within limit: Duration = .seconds(90)) async -> Bool {
            await eventually(within: limit) { ledger.last.map { $0 == subject || $0.hasPrefix(subject + ", ") } ?? false }
        }

        /// A GitHub push webhook to `serin`'s endpoints, signed with `secret`: a sync now rather than at the next poll.
        /// Returns the status answered.
        @discardableResult
        func announcePush(to serin: LoggedProcess, signedWith secret: String = KubernetesRunTests.secret) async throws -> Int {
            guard let port = await serin.port(after: "endpoints listening on http://127.0.0.1:") else {
                throw Failure("no endpoints line: \(serin.text)")
            }
            let push = #"{"ref":"refs/heads/main"}"#
            let mac = HMAC<SHA256>.authenticationCode(for: Data(push.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            let signature = mac.map { String(format: "%02x", $0) }.joined()
            let response = try await HTTPTransport.send(HTTPRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/hooks/github",
                headers: ["X-GitHub-Event: push", "X-Hub-Signature-256: sha256=\(signature)", "Content-Type: application/json"],
                body: Array(push.utf8), timeout: .seconds(10)))
            return response.status
        }

        /// The `Phase W%` of each ledger subject about `version`, oldest first.
        func transitions(of version: String) -> [String] {
            ledger.filter { $0.hasPrefix("ml/iris: ") && $0.hasSuffix("(\(version))") }
                .map { String($0.dropFirst("ml/iris: ".count).dropLast(" (\(version))".count)) }
        }

        /// The emulator's request log: (method, path, query, user agent) of every request answered so far.
        var requests: [(method: String, path: String, query: String, userAgent: String)] {
            let text = (try? String(contentsOf: requestLog, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let method = object["method"] as? String, let path = object["path"] as? String else { return nil }
                return (method, path, object["query"] as? String ?? "", object["userAgent"] as? String ?? "")
            }
        }

        /// The writes (anything but GET) Serin made, as `METHOD path`, after the first `skipping` requests.
        func serinWrites(skipping: Int = 0) -> [String] {
            requests.dropFirst(skipping).filter { $0.method != "GET" && $0.userAgent == "serin-kube" }
                .map { "\($0.method) \($0.path)" }
        }

        /// The DriftReverted Events recorded on `deployment` (`deployment.apps/…`), as `Type Reason: message`.
        func driftEvents(of deployment: String) -> [String] {
            let name = deployment.dropFirst("deployment.apps/".count)
            let events = (try? kubectl("get", "events", "-o", #"jsonpath={range .items[*]}{.type} {.reason} {.involvedObject.name}: {.message}{"\n"}{end}"#).output) ?? ""
            return events.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Warning DriftReverted \(name):") }
        }

        var logs: String {
            "ledger:\n\(ledger.joined(separator: "\n"))\n" + operators.map { "--- \($0.log.lastPathComponent)\n\($0.text)" }.joined(separator: "\n")
        }
    }
}
