import Foundation
import Logging
import SerinCore
import SerinHTTP
import SerinLocalRuntime
import Testing

enum Quiet {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// The built binaries next to this test bundle.
enum Built {
    static let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    static let modelServer = directory + "/serin-model-server"
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let linearModel = repositoryRoot + "/examples/quickstart/models/iris-linear.json"
}

/// The routes the runtime published, as the router would receive them.
actor RecordingRouter: LocalTrafficRouting {
    private(set) var tables: [[LocalRoute]] = []
    private(set) var drained: [String] = []

    func route(_ routes: [LocalRoute]) { tables.append(routes) }
    func drain(_ key: DeploymentKey, version: String, timeout: Duration) { drained.append("\(key) \(version)") }
    var current: [LocalRoute] { tables.last ?? [] }
}

final class StateDirectory: @unchecked Sendable {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-local-\(UUID().uuidString)").path
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A ModelDeployment whose command runs `command` (templated), as a user would write it for the local runtime;
/// `gates` are items of its `rollout.gates`, in YAML flow style.
func localDeployment(version: String = "1", namespace: String = "ml", command: [String]? = nil,
                     readinessPath: String = "/v2/health/ready", uri: String = "file://\(Built.linearModel)",
                     gates: [String] = []) -> ModelDeployment {
    let command = command ?? [Built.modelServer, "--model", Built.linearModel, "--port", "{{port}}",
                              "--name", "{{model.name}}", "--version", "{{model.version}}"]
    let yaml = """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: iris, namespace: \(namespace)}
    spec:
      model: {name: iris, version: "\(version)", uri: "\(uri)"}
      runtime:
        command: [\(command.map { "\"\($0)\"" }.joined(separator: ", "))]
        readinessPath: \(readinessPath)
    \(gates.isEmpty ? "" : "  rollout: {gates: [\(gates.joined(separator: ", "))]}")

    """
    let decoding = DesiredState.decode([SourceFile(path: "iris.yaml", text: yaml)])
    guard let deployment = decoding.state.deployments.first else {
        preconditionFailure("fixture does not decode: \(decoding.diagnostics.map(\.description))")
    }
    return deployment
}

/// Whether a process group still exists.
func processGroupExists(_ pid: Int32) -> Bool { kill(-pid, 0) == 0 }

func eventually(within limit: Duration = .seconds(30), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}

/// Runs a runtime's supervision loop for the duration of `body`, then stops it (which stops its processes).
func supervising(_ runtime: LocalRuntime, _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await runtime.run() }
        do {
            try await body()
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

/// A router that takes its first table, or the next one after `delayNextTable()`, slowly (as a call off the runtime's
/// actor can be overtaken) and the others at once: the order in which two publishes in a row reach it is then the
/// reverse of the order they were made.
actor OnceDelayedRouter: LocalTrafficRouting {
    private(set) var applied: [[LocalRoute]] = []
    private var delaysNext = true

    func delayNextTable() { delaysNext = true }

    func route(_ routes: [LocalRoute]) async {
        if delaysNext {
            delaysNext = false
            try? await Task.sleep(for: .milliseconds(300))
        }
        applied.append(routes)
    }

    func drain(_ key: DeploymentKey, version: String, timeout: Duration) {}
    var current: [LocalRoute] { applied.last ?? [] }
}

/// One inference request for the iris model's four features to `/v2/models/<model>/infer` on 127.0.0.1:`port`, a
/// model server's or the router's; the status it got.
func infer(port: Int, model: String = "iris", timeout: Duration = .seconds(10)) async throws -> Int {
    let body = Array(#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}]}"#.utf8)
    return try await HTTPTransport.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/v2/models/\(model)/infer",
                                                    headers: ["Content-Type: application/json"], body: body, timeout: timeout)).status
}

/// The names of the variables in the environment the first model server `state`'s processes.json records was
/// started with.
func serverEnvironmentNames(in state: StateDirectory) throws -> Set<String> {
    let pid = try #require(serverProcessGroups(state.path).first)
    let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
    return Set(environ.split(separator: 0).compactMap { entry in
        String(decoding: entry, as: UTF8.self).split(separator: "=", maxSplits: 1).first.map(String.init)
    })
}
