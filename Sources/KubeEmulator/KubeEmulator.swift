import Foundation
import Logging
import NIOCore
import SerinCore

/// A Kubernetes API server stand-in on 127.0.0.1 for tests: discovery, storage with the real metadata and
/// concurrency rules, watches, patches, subresources, a deployment controller simulation, bearer-token
/// authentication, fault injection and a request log. Start one per test; `stop()` it when done.
public final class KubeEmulator: Sendable {
    /// The port it listens on.
    public let port: Int
    let store: ObjectStore
    let control: EmulatorControl
    private let listener: HTTPServer.Listener
    private let acceptTask: Task<Void, Never>

    private init(port: Int, store: ObjectStore, control: EmulatorControl, listener: HTTPServer.Listener,
                 acceptTask: Task<Void, Never>)
    {
        self.port = port
        self.store = store
        self.control = control
        self.listener = listener
        self.acceptTask = acceptTask
    }

    /// Starts serving; the `default`, `kube-system` and `kube-public` namespaces exist from the start.
    public static func start(_ options: KubeEmulatorOptions = KubeEmulatorOptions(),
                             logger: Logger = Logger(label: "serin.kube-emulator")) async throws -> KubeEmulator
    {
        let store = ObjectStore(historyLimit: options.watchHistoryLimit,
                                deploymentReadyAfter: options.deploymentReadyAfter,
                                simulatesDeploymentController: options.simulatesDeploymentController, logger: logger)
        let control = EmulatorControl(acceptedTokens: options.acceptedTokens,
                                      unprivilegedUsers: options.unprivilegedUsers)
        let listener = try await HTTPServer.bind(port: options.port)
        let port = listener.channel.localAddress?.port ?? options.port
        let handler = APIHandler(store: store, control: control, port: port,
                                 bookmarkInterval: options.watchBookmarkInterval, logger: logger)
        let acceptTask = Task {
            await HTTPServer.acceptConnections(listener, handler: handler, control: control, logger: logger)
        }
        logger.info("kube-emulator listening", metadata: ["port": "\(port)"])
        return KubeEmulator(port: port, store: store, control: control, listener: listener, acceptTask: acceptTask)
    }

    /// `http://127.0.0.1:PORT`
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Writes a kubeconfig whose current context points at this emulator, with `token` as the bearer token.
    public func writeKubeconfig(to path: String, token: String?, namespace: String = "default") throws {
        try Kubeconfig.text(server: baseURL, token: token, namespace: namespace)
            .write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Ends every watch and closes the listener and every connection.
    public func stop() async throws {
        await store.shutDown()
        try? await listener.channel.close()
        acceptTask.cancel()
        await acceptTask.value
    }

    /// Every request answered so far, oldest first.
    public func requests() async -> [EmulatorRequestRecord] { await control.records }

    /// Replaces the accepted bearer tokens (empty: no authentication), for token-rotation tests.
    public func setAcceptedTokens(_ tokens: Set<String>) async { await control.setAcceptedTokens(tokens) }

    /// Replaces the injected faults; `EmulatorFaults()` turns them all off.
    public func setFaults(_ faults: EmulatorFaults) async { await control.setFaults(faults) }

    /// How the simulated controller treats one Deployment's rollouts (set it before or after creating it).
    public func setDeploymentBehaviour(namespace: String, name: String, _ behaviour: DeploymentBehaviour) async {
        await store.setDeploymentBehaviour(namespace: namespace, name: name, behaviour)
    }
}
