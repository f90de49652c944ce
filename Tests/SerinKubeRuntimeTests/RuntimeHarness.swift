import Foundation
import KubeEmulator
import Logging
import SerinCore
import SerinKube
import SerinKubeRuntime
import Testing

enum Quiet {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// One emulator, a client of it configured through the kubeconfig it wrote, the real kubectl on the same
/// kubeconfig, and a `KubernetesRuntime` whose informers run for the length of the test.
struct RuntimeHarness {
    let emulator: KubeEmulator
    let client: KubeClient
    let runtime: KubernetesRuntime
    let kubectl: Kubectl
    static let namespace = "ml"
    static let iris = DeploymentKey(namespace: namespace, name: "iris")

    /// Starts everything, creates the `ml` namespace, runs `body`, and stops everything, also when `body` throws.
    /// The runtime logs to `runtimeLogger`.
    static func with(_ options: KubeEmulatorOptions = KubeEmulatorOptions(), runtimeLogger: Logger = Quiet.logger,
                     beforeStart: (KubeEmulator, KubeClient) async throws -> Void = { _, _ in },
                     _ body: (RuntimeHarness) async throws -> Void) async throws {
        let emulator = try await KubeEmulator.start(options, logger: Quiet.logger)
        do {
            let kubectl = try Kubectl.make(for: emulator)
            var configuration = try KubeConfiguration.kubeconfig(path: kubectl.kubeconfig)
            configuration.requestTimeout = .seconds(20)
            let client = KubeClient(configuration: configuration, logger: Quiet.logger)
            _ = try await client.create(.namespaces, ["metadata": ["name": .string(namespace)]])
            try await beforeStart(emulator, client)
            let runtime = KubernetesRuntime(client: client, configuration: .init(instance: "serin-test"), logger: runtimeLogger)
            let harness = RuntimeHarness(emulator: emulator, client: client, runtime: runtime, kubectl: kubectl)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await runtime.run() }
                defer { group.cancelAll() }
                try await body(harness)
            }
        } catch {
            try? await emulator.stop()
            throw error
        }
        try await emulator.stop()
    }

    /// `kubectl get KIND NAME -n ml -o json`, parsed; nil when kubectl says it is not there.
    func kubectlGet(_ kind: String, _ name: String, namespace: String = RuntimeHarness.namespace) async throws -> JSONValue? {
        let result = try await kubectl.run(["get", kind, name, "-n", namespace, "-o", "json"])
        guard result.status == 0 else {
            #expect(result.error.contains("NotFound"), "kubectl get \(kind) \(name): \(result.error)")
            return nil
        }
        return try JSONValue(parsing: result.output)
    }

    func get(_ type: ResourceType, _ name: String, namespace: String = RuntimeHarness.namespace) async throws -> JSONValue? {
        do throws(KubeError) {
            return try await client.get(type, name: name, namespace: namespace)
        } catch .notFound {
            return nil
        }
    }

    /// Writes (POST, PUT, PATCH, DELETE) the emulator answered since `mark` requests ago, Events aside.
    func writes(since mark: Int) async -> [EmulatorRequestRecord] {
        await emulator.requests().dropFirst(mark).filter { record in
            ["POST", "PUT", "PATCH", "DELETE"].contains(record.method) && !record.path.hasSuffix("/events")
        }
    }

    func requestCount() async -> Int { await emulator.requests().count }

    /// Events recorded on one object, oldest first.
    func events(about name: String) async throws -> [JSONValue] {
        try await client.list(.events, namespace: Self.namespace).items.filter { $0[path: "involvedObject", "name"]?.stringValue == name }
    }

    /// Performs `actions` until the runtime's caches have caught up with what it wrote: the next perform writes
    /// nothing. What a reconcile loop does over a few passes.
    func settle(_ actions: [RolloutAction], desired: ModelDeployment?, key: DeploymentKey = RuntimeHarness.iris) async throws {
        for _ in 0..<100 {
            try await runtime.perform(actions, key: key, desired: desired)
            let mark = await requestCount()
            try await runtime.perform(actions, key: key, desired: desired)
            if await writes(since: mark).isEmpty { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("perform kept writing")
    }
}

/// A ModelDeployment from YAML, as Serin reads it from Git.
func model(_ yaml: String) throws -> ModelDeployment {
    let decoding = DesiredState.decode([SourceFile(path: "iris.yaml", text: yaml)])
    guard decoding.isValid, let deployment = decoding.state.deployments.first else {
        throw TestFailure("the fixture does not decode: \(decoding.diagnostics.map(\.description))")
    }
    return deployment
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The iris model at one version: two replicas, templated arguments and environment, a GPU, and the given traffic
/// settings.
func iris(_ version: String, replicas: Int = 2, traffic: String = "{provider: replicas}", image: String = "seldonio/mlserver:1.7.1") throws -> ModelDeployment {
    try model("""
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: iris, namespace: ml}
    spec:
      model: {version: "\(version)", uri: "s3://models/iris/\(version)"}
      runtime:
        image: \(image)
        args: ["--model-uri={{model.uri}}", "--port={{port}}"]
        port: 9000
        env: [{name: MODEL_NAME, value: "{{model.name}}"}, {name: MODEL_VERSION, value: "v{{model.version}}"}]
        resources: {cpu: "1", memory: 2Gi, gpu: 1, limits: {memory: 4Gi}}
      replicas: \(replicas)
      traffic: \(traffic)
      rollout: {steps: [10, 50, 100], interval: 1s}
    """)
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(15), every interval: Duration = .milliseconds(50),
                _ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: interval)
    }
    return (try? await condition()) == true
}
