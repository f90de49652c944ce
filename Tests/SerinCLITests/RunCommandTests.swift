import Crypto
import Foundation
import SerinHTTP
import Testing

/// `serin run --runtime local` end to end, as a user runs it: the built binary on a Git repository, a model server
/// started from the deployment's command, a signed GitHub webhook that triggers a sync, SIGTERM to stop.
@Suite("serin run")
struct RunCommandTests {
    static let secret = "hook-secret-5f1c3e"

    static func document(version: String) -> String {
        """
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: iris, namespace: ml}
        spec:
          model: {name: iris, version: "\(version)", uri: "file://\(ValidateCommandTests.repositoryRoot.path)/examples/quickstart/models/iris-linear.json"}
          runtime:
            command: [serin-model-server, --model, "{{model.uri}}", --port, "{{port}}", --name, "{{model.name}}", --version, "{{model.version}}"]
          rollout:
            steps: [50, 100]
            interval: 1s
            gates: []

        """
    }

    func post(_ url: String, body: String, headers: [String: String]) async throws -> (Int, String) {
        let response = try await HTTPTransport.send(HTTPRequest(method: "POST", url: url, headers: headers.map { "\($0.key): \($0.value)" },
                                                                body: Array(body.utf8), timeout: .seconds(10)))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// One iris prediction through the router listening on `port`: its status and body.
    static func inferIris(through port: Int) async throws -> (status: Int, body: String) {
        let response = try await HTTPTransport.send(HTTPRequest(
            method: "POST", url: "http://127.0.0.1:\(port)/v2/models/iris/infer", headers: ["Content-Type: application/json"],
            body: Array(#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}]}"#.utf8), timeout: .seconds(10)))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// The headers of a GitHub push event whose body is `body`, signed with `secret` as GitHub signs it.
    static func githubPushHeaders(signing body: String, with secret: String) -> [String: String] {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return ["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + mac.map { String(format: "%02x", $0) }.joined(),
                "Content-Type": "application/json"]
    }

    @Test func aCommitAnnouncedByASignedWebhookIsRolledOutAndStoppingLeavesNoServerBehind() async throws {
        let repository = try PlanAndHistoryCommandTests.Repository()
        try Data(Self.document(version: "1").utf8).write(to: repository.root.appendingPathComponent("repo/deployments/iris.yaml"))
        try repository.commit("deploy iris v1")
        let secretFile = repository.root.appendingPathComponent("secret")
        try Data(Self.secret.utf8).write(to: secretFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
        // Inside the watched repository's working tree, where `serin run` puts its default .serin when started there.
        let state = repository.root.appendingPathComponent("repo/.serin")
        let binaries = ValidateCommandTests.executable.deletingLastPathComponent().path
        let serin = try LoggedProcess(
            ValidateCommandTests.executable, arguments: ["run", "--runtime", "local", "--repo", repository.path, "--state-dir", state.path,
                        "--router-listen", "127.0.0.1:0", "--router-threads", "1", "--listen", "127.0.0.1:0", "--interval", "1h",
                        "--webhook-secret-file", secretFile.path],
            environment: ["PATH": "\(binaries):/usr/bin:/bin", "HOME": repository.root.path],
            log: repository.root.appendingPathComponent("serin.log"), stopSignal: SIGTERM)

        #expect(await serin.line(containing: "v1 is the stable version") != nil, "\(serin.text)")
        let router = try #require(await serin.port(after: "router listening on http://127.0.0.1:"))
        let endpoints = try #require(await serin.port(after: "endpoints listening on http://127.0.0.1:"))
        let (status, answer) = try await Self.inferIris(through: router)
        #expect(status == 200)
        #expect(answer.contains(#""model_version":"1""#))
        let metadata = try await HTTPTransport.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(router)/v2", timeout: .seconds(10)))
        // Serin's own version (`serin --version`), not the router library's default.
        #expect(String(decoding: metadata.body, as: UTF8.self).contains(#""version":"0."#))

        // The poll interval is an hour: only the webhook can make Serin see v2 this soon.
        try Data(Self.document(version: "2").utf8).write(to: repository.root.appendingPathComponent("repo/deployments/iris.yaml"))
        try repository.commit("iris v2")
        let push = #"{"ref":"refs/heads/main"}"#
        let unsigned = try await post("http://127.0.0.1:\(endpoints)/hooks/github", body: push,
                                      headers: ["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64)])
        #expect(unsigned.0 == 401)
        let signed = try await post("http://127.0.0.1:\(endpoints)/hooks/github", body: push,
                                    headers: Self.githubPushHeaders(signing: push, with: Self.secret))
        #expect(signed.0 == 202, "\(signed.1)")
        #expect(await serin.line(containing: "v2 is the stable version") != nil, "\(serin.text)")

        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: state.appendingPathComponent("processes.json"))) as? [String: Any]
        let pids = ((recorded?["processes"] as? [[String: Any]]) ?? []).compactMap { ($0["pid"] as? NSNumber)?.int32Value }
        #expect(!pids.isEmpty)
        serin.process.terminate()
        serin.process.waitUntilExit()
        #expect(serin.process.terminationStatus == 0)
        for pid in pids { #expect(kill(-pid, 0) != 0, "model server group \(pid) outlived serin") }
        // The router stops taking requests, and finishes those in flight, before any model server is stopped.
        let lines = serin.text.split(separator: "\n")
        let routerStopped = try #require(lines.firstIndex { $0.contains("router stopped") }, "\(serin.text)")
        let runtimeStopping = try #require(lines.firstIndex { $0.contains("stopping the local runtime") }, "\(serin.text)")
        #expect(routerStopped < runtimeStopping, "\(serin.text)")
        // The whole run's log: the secret never appears.
        #expect(!serin.text.contains(Self.secret))
        let ledger = try repository.git("log", "--format=%s", "serin/status")
        #expect(ledger.split(separator: "\n").first == "ml/iris: Succeeded 100% (v2)")
        // The state directory's caches and logs stay out of the working tree's status.
        #expect(try repository.git("status", "--porcelain", "--untracked-files=all").isEmpty)
    }

    /// With --status-on-desired-branch the ledger lives under status/ on the desired branch, next to the deployments,
    /// and its commits carry the configured author (the committer defaults to it).
    @Test func theLedgerCanBeCommittedUnderStatusOnTheDesiredBranchByAConfiguredAuthor() async throws {
        let repository = try PlanAndHistoryCommandTests.Repository()
        try Data(Self.document(version: "1").utf8).write(to: repository.root.appendingPathComponent("repo/deployments/iris.yaml"))
        try repository.commit("deploy iris v1")
        let binaries = ValidateCommandTests.executable.deletingLastPathComponent().path
        let serin = try LoggedProcess(
            ValidateCommandTests.executable, arguments: ["run", "--runtime", "local", "--repo", repository.path,
                        "--state-dir", repository.root.appendingPathComponent("state").path,
                        "--router-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--interval", "1h",
                        "--status-on-desired-branch", "--ledger-author", "Ops Bot <ops@example.com>"],
            environment: ["PATH": "\(binaries):/usr/bin:/bin", "HOME": repository.root.path],
            log: repository.root.appendingPathComponent("serin.log"), stopSignal: SIGTERM)
        #expect(await serin.line(containing: "recording rollouts on main") != nil, "\(serin.text)")
        #expect(await serin.line(containing: "v1 is the stable version") != nil, "\(serin.text)")
        serin.process.terminate()
        serin.process.waitUntilExit()
        #expect(serin.process.terminationStatus == 0)

        let ledger = try repository.git("log", "--format=%s|%an <%ae>|%cn <%ce>", "main")
            .split(separator: "\n").map(String.init)
        #expect(ledger.last == "deploy iris v1|t <t@example.invalid>|t <t@example.invalid>")
        let transitions = ledger.dropLast()
        #expect(!transitions.isEmpty)
        #expect(transitions.allSatisfy { $0.hasPrefix("ml/iris: ") && $0.hasSuffix("|Ops Bot <ops@example.com>|Ops Bot <ops@example.com>") },
                "\(ledger)")
        #expect(transitions.first?.hasPrefix("ml/iris: Succeeded 100% (v1)|") == true, "\(ledger)")
        let files = try repository.git("ls-tree", "-r", "--name-only", "main")
        #expect(files == "deployments/iris.yaml\nstatus/ml/iris.yaml\n")
        #expect(try repository.git("branch", "--list", "serin/status").isEmpty)
        let history = try ValidateCommandTests().serin(["history", "ml/iris", "--repo", repository.path, "--status-branch", "main", "-o", "json",
                                                        "--cache-dir", repository.root.appendingPathComponent("cache").path])
        #expect(history.status == 0, "\(history.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == transitions.count)
        #expect(entries.last?["phase"] as? String == "Succeeded")
    }

    /// Values an option refuses, given on the command line or through its environment variable. Each command names
    /// a repository that does not exist: were the value taken, the command would fail on that instead, not hang.
    static let refusedValues: [(arguments: [String], environment: [String: String], message: String)] = [
        (["run", "--ledger-author", "ops@example.com"], [:], "--ledger-author must be \"Name <email>\""),
        (["run", "--router-threads", "0"], [:], "--router-threads must be a whole number of at least 1, not 0"),
        (["run"], ["SERIN_WORKERS": "four"], "--workers must be a whole number of at least 1, not four"),
        // Read as false, SERIN_LEADER_ELECT=1 would let every replica reconcile.
        (["run"], ["SERIN_LEADER_ELECT": "1"], "SERIN_LEADER_ELECT must be true or false, not 1"),
        (["run"], ["SERIN_RUNTIME": "kube"], "SERIN_RUNTIME must be one of local, kubernetes, not kube"),
        (["run", "--log-format", "syslog"], [:], "--log-format must be one of text, journal, json, not syslog"),
        (["history", "ml/iris"], ["SERIN_ACCEPT_UNKNOWN_HOST_KEYS": "yes"],
         "SERIN_ACCEPT_UNKNOWN_HOST_KEYS must be true or false, not yes"),
    ]

    @Test(arguments: refusedValues.indices)
    func aValueAnOptionRefusesIsAUsageErrorNamingIt(case index: Int) throws {
        let refused = Self.refusedValues[index]
        let outcome = try ValidateCommandTests().serin(refused.arguments + ["--repo", "/no/such/repository"],
                                                       environment: refused.environment)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(refused.message), "\(outcome.stderr)")
    }

    @Test func aRouterAddressAlreadyInUseIsAClearErrorAtStart() async throws {
        let repository = try PlanAndHistoryCommandTests.Repository()
        try Data(Self.document(version: "1").utf8).write(to: repository.root.appendingPathComponent("repo/deployments/iris.yaml"))
        try repository.commit("deploy iris v1")
        // Hold a port, then ask serin to listen on it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) } }
        _ = listen(holder, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let outcome = try ValidateCommandTests().serin(["run", "--runtime", "local", "--repo", repository.path,
                                                        "--state-dir", repository.root.appendingPathComponent("state").path,
                                                        "--router-listen", "127.0.0.1:\(port)", "--listen", "127.0.0.1:0"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("127.0.0.1:\(port)"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("another process already listens there"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("choose another address or port"), "\(outcome.stderr)")
    }

    /// A Git repository whose main branch deploys iris v1.
    static func repositoryDeployingIris() throws -> PlanAndHistoryCommandTests.Repository {
        let repository = try PlanAndHistoryCommandTests.Repository()
        try Data(Self.document(version: "1").utf8).write(to: repository.root.appendingPathComponent("repo/deployments/iris.yaml"))
        try repository.commit("deploy iris v1")
        return repository
    }

    /// `serin run --runtime local` on `repository` with `state` as its state directory, on ports of its own, its
    /// output in `<name>.log` beside the repository.
    static func startSerin(_ repository: PlanAndHistoryCommandTests.Repository, state: URL, name: String, repo: String? = nil,
                           arguments extra: [String] = [], environment overrides: [String: String] = [:],
                           stopSignal: Int32 = SIGTERM) throws -> LoggedProcess {
        let arguments = ["run", "--runtime", "local", "--repo", repo ?? repository.path, "--state-dir", state.path,
                         "--router-listen", "127.0.0.1:0", "--router-threads", "1", "--listen", "127.0.0.1:0", "--interval", "1h"]
        let environment = ["PATH": "\(ValidateCommandTests.executable.deletingLastPathComponent().path):/usr/bin:/bin",
                           "HOME": repository.root.path].merging(overrides) { _, override in override }
        return try LoggedProcess(ValidateCommandTests.executable, arguments: arguments + extra, environment: environment,
                                 log: repository.root.appendingPathComponent(name + ".log"), stopSignal: stopSignal)
    }

    /// The process groups of the model servers `state`'s processes.json records.
    static func recordedServers(_ state: URL) throws -> [Int32] {
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: state.appendingPathComponent("processes.json"))) as? [String: Any]
        return ((recorded?["processes"] as? [[String: Any]]) ?? []).compactMap { ($0["pid"] as? NSNumber)?.int32Value }
    }

    @Test func aSecondSerinOnTheSameStateDirectoryIsRefusedAndLeavesTheFirstAlone() async throws {
        let repository = try Self.repositoryDeployingIris()
        let state = repository.root.appendingPathComponent("state")
        let first = try Self.startSerin(repository, state: state, name: "first")
        #expect(await first.line(containing: "v1 is the stable version") != nil, "\(first.text)")
        let servers = try Self.recordedServers(state)
        #expect(!servers.isEmpty)

        // Started as the first was, so that if it were not refused it would run on and be stopped below.
        let second = try Self.startSerin(repository, state: state, name: "second")
        let deadline = ContinuousClock.now + .seconds(30)
        while second.process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(!second.process.isRunning, "the second serin started: \(second.text)")
        #expect(second.process.terminationStatus == 2)
        #expect(second.text.contains("another Serin (pid \(first.process.processIdentifier)) is running with the state "
                                     + "directory \(state.path)"), "\(second.text)")
        #expect(second.text.contains("give this one a state directory of its own (--state-dir or SERIN_STATE_DIR)"),
                "\(second.text)")
        #expect(!second.text.contains("router listening"), "\(second.text)")
        #expect(try Self.recordedServers(state) == servers)
        for pid in servers { #expect(kill(-pid, 0) == 0, "model server group \(pid) was stopped by the second serin") }
        #expect(!first.text.contains("model server exited"), "\(first.text)")
        first.process.terminate()
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)
    }

    @Test func aModelServerInheritsNoneOfSerinsSecrets() async throws {
        let repository = try Self.repositoryDeployingIris()
        let state = repository.root.appendingPathComponent("state")
        let serin = try Self.startSerin(repository, state: state, name: "serin", arguments: ["--password-env", "GIT_TOKEN"],
                                        environment: ["SERIN_WEBHOOK_SECRET": Self.secret, "GIT_TOKEN": "t0ken-8d2e",
                                                      "MODEL_CACHE": repository.root.path])
        #expect(await serin.line(containing: "v1 is the stable version") != nil, "\(serin.text)")
        let server = try #require(try Self.recordedServers(state).first)
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(server)/environ"))
        let inherited = String(decoding: environ, as: UTF8.self)
        #expect(!inherited.contains(Self.secret))
        #expect(!inherited.contains("t0ken-8d2e"))
        // What is not Serin's passes through, as from the shell that started it.
        #expect(inherited.contains("MODEL_CACHE=\(repository.root.path)"))
        serin.process.terminate()
        serin.process.waitUntilExit()
    }

    /// The model servers end with Serin. Started again while Git cannot be reached (after a reboot, say), it serves
    /// what it last fetched, and picks Git up again when it answers.
    @Test func aSerinStartedWhileGitIsUnreachableServesWhatItLastFetched() async throws {
        let repository = try Self.repositoryDeployingIris()
        let state = repository.root.appendingPathComponent("state")
        let remote = "file://" + repository.path
        let first = try Self.startSerin(repository, state: state, name: "first", repo: remote)
        #expect(await first.line(containing: "v1 is the stable version") != nil, "\(first.text)")
        first.process.terminate()
        first.process.waitUntilExit()

        let away = repository.root.appendingPathComponent("repo-away")
        try FileManager.default.moveItem(atPath: repository.path, toPath: away.path)
        let second = try Self.startSerin(repository, state: state, name: "second", repo: remote, arguments: ["--interval", "1s"])
        #expect(await second.line(containing: "the desired branch cannot be fetched: applying the state this machine last fetched") != nil,
                "\(second.text)")
        #expect(await second.line(containing: "model server is ready") != nil, "\(second.text)")
        let router = try #require(await second.port(after: "router listening on http://127.0.0.1:"))
        let answer = try await Self.inferIris(through: router)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.body.contains(#""model_version":"1""#))
        #expect(!second.text.contains("Rolling out"), "\(second.text)")

        // Git answers again: v2 is merged meanwhile, and rolled out from Git as usual.
        try FileManager.default.moveItem(atPath: away.path, toPath: repository.path)
        try Data(Self.document(version: "2").utf8).write(to: repository.root.appendingPathComponent("repo/deployments/iris.yaml"))
        try repository.commit("iris v2")
        #expect(await second.line(containing: "v2 is the stable version", within: .seconds(90)) != nil, "\(second.text)")
        second.process.terminate()
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0)
        #expect(!second.text.contains("could not be pushed"), "\(second.text)")
    }

    /// As a systemd unit gives it: a credential's file, named in the unit's environment.
    @Test func theWebhookSecretsFileCanBeNamedInTheEnvironment() async throws {
        let repository = try Self.repositoryDeployingIris()
        let secretFile = repository.root.appendingPathComponent("webhook-secret")
        try Data(Self.secret.utf8).write(to: secretFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
        let serin = try Self.startSerin(repository, state: repository.root.appendingPathComponent("state"), name: "serin",
                                        environment: ["SERIN_WEBHOOK_SECRET_FILE": secretFile.path])
        let endpoints = try #require(await serin.port(after: "endpoints listening on http://127.0.0.1:"))
        let push = #"{"ref":"refs/heads/main"}"#
        let signed = try await post("http://127.0.0.1:\(endpoints)/hooks/github", body: push,
                                    headers: Self.githubPushHeaders(signing: push, with: Self.secret))
        #expect(signed.0 == 202, "\(signed.1)")
        let forged = try await post("http://127.0.0.1:\(endpoints)/hooks/github", body: push,
                                    headers: Self.githubPushHeaders(signing: push, with: "another-secret"))
        #expect(forged.0 == 401, "\(forged.1)")
        #expect(!serin.text.contains("webhook endpoints off"), "\(serin.text)")
        serin.process.terminate()
        serin.process.waitUntilExit()
    }

    @Test func aStateDirectoryItCreatesIsForItsOwnerAlone() async throws {
        let repository = try Self.repositoryDeployingIris()
        let state = repository.root.appendingPathComponent("state")
        let serin = try Self.startSerin(repository, state: state, name: "serin")
        #expect(await serin.line(containing: "router listening") != nil, "\(serin.text)")
        let permissions = try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? Int
        #expect(permissions.map { String($0, radix: 8) } == "700")
        serin.process.terminate()
        serin.process.waitUntilExit()
    }

    /// The hold on the state directory dies with the process, however it ends: the next Serin starts, and stops
    /// the model server the killed one left running.
    @Test func aSerinThatWasKilledLeavesItsStateDirectoryToTheNext() async throws {
        let repository = try Self.repositoryDeployingIris()
        let state = repository.root.appendingPathComponent("state")
        let killed = try Self.startSerin(repository, state: state, name: "killed", stopSignal: SIGKILL)
        #expect(await killed.line(containing: "v1 is the stable version") != nil, "\(killed.text)")
        let leftRunning = try Self.recordedServers(state)
        killed.kill()
        killed.process.waitUntilExit()

        let next = try Self.startSerin(repository, state: state, name: "next")
        #expect(await next.line(containing: "model server is ready") != nil, "\(next.text)")
        #expect(!next.text.contains("another Serin"), "\(next.text)")
        for pid in leftRunning { #expect(kill(-pid, 0) != 0, "model server group \(pid) outlived the serin that started it") }
        next.process.terminate()
        next.process.waitUntilExit()
        #expect(next.process.terminationStatus == 0)
    }
}
