import Foundation
import Logging
import NIOCore
import SerinCore

/// A Kubernetes API server stand-in on 127.0.0.1 for tests: discovery, storage with the real metadata and
/// concurrency rules, watches, patches, subresources, a deployment controller simulation, bearer-token
/// authentication, fault injection and a request log; plain HTTP/1.1, or HTTPS with HTTP/2 by ALPN.
/// Start one per test; `stop()` it when done.
public final class KubeEmulator: Sendable {
    /// The port it listens on.
    public let port: Int
    /// Whether it serves HTTPS.
    public let usesTLS: Bool
    /// The CA written into kubeconfigs, PEM.
    private let certificateAuthority: [UInt8]?
    let store: ObjectStore
    let control: EmulatorControl
    private let listener: HTTPServer.Listener
    private let acceptTask: Task<Void, Never>

    private init(port: Int, usesTLS: Bool, certificateAuthority: [UInt8]?, store: ObjectStore, control: EmulatorControl,
                 listener: HTTPServer.Listener, acceptTask: Task<Void, Never>)
    {
        self.port = port
        self.usesTLS = usesTLS
        self.certificateAuthority = certificateAuthority
        self.store = store
        self.control = control
        self.listener = listener
        self.acceptTask = acceptTask
    }

    /// Starts serving; the `default`, `kube-system` and `kube-public` namespaces exist from the start. Throws
    /// `KubeEmulatorError` when the TLS files cannot be read or do not fit together.
    public static func start(_ options: KubeEmulatorOptions = KubeEmulatorOptions(),
                             logger: Logger = Logger(label: "serin.kube-emulator")) async throws -> KubeEmulator
    {
        let tlsContext = try options.tls.map(HTTPServer.makeTLSContext)
        var certificateAuthority: [UInt8]?
        if let path = options.tls?.certificateAuthorityFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubeEmulatorError("cannot read the TLS certificate authority \(path)")
            }
            certificateAuthority = Array(data)
        }
        let store = ObjectStore(historyLimit: options.watchHistoryLimit,
                                deploymentReadyAfter: options.deploymentReadyAfter,
                                simulatesDeploymentController: options.simulatesDeploymentController,
                                conformanceFaults: options.conformanceFaults, logger: logger)
        let control = EmulatorControl(acceptedTokens: options.acceptedTokens,
                                      unprivilegedUsers: options.unprivilegedUsers)
        let listener = try await HTTPServer.bind(port: options.port, tls: tlsContext)
        let port = listener.channel.localAddress?.port ?? options.port
        let handler = APIHandler(store: store, control: control, port: port,
                                 bookmarkInterval: options.watchBookmarkInterval, logger: logger)
        let acceptTask = Task {
            await HTTPServer.acceptConnections(listener, handler: handler, control: control, logger: logger)
        }
        logger.info("kube-emulator listening", metadata: ["port": "\(port)", "tls": "\(tlsContext != nil)"])
        return KubeEmulator(port: port, usesTLS: tlsContext != nil, certificateAuthority: certificateAuthority,
                            store: store, control: control, listener: listener, acceptTask: acceptTask)
    }

    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` with TLS.
    public var baseURL: String { "\(usesTLS ? "https" : "http")://127.0.0.1:\(port)" }

    /// Writes a kubeconfig whose current context points at this emulator, with `token` as the bearer token and,
    /// with TLS, the CA as `certificate-authority-data` so that clients verify the emulator.
    public func writeKubeconfig(to path: String, token: String?, namespace: String = "default") throws {
        try Kubeconfig.text(server: baseURL, certificateAuthority: certificateAuthority, token: token,
                            namespace: namespace)
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

    /// How many connections were accepted so far, whether or not a request followed: with the request log, whether
    /// clients reuse connections.
    public func acceptedConnections() async -> Int { await control.acceptedConnections }

    /// How many watches are open now, so tests can see a watch end when its client goes away.
    public func openWatches() async -> Int { await store.watchers.count }

    /// Replaces the accepted bearer tokens (empty: no authentication), for token-rotation tests.
    public func setAcceptedTokens(_ tokens: Set<String>) async { await control.setAcceptedTokens(tokens) }

    /// Replaces the injected faults; `EmulatorFaults()` turns them all off.
    public func setFaults(_ faults: EmulatorFaults) async { await control.setFaults(faults) }

    /// How the simulated controller treats one Deployment's rollouts (set it before or after creating it).
    public func setDeploymentBehaviour(namespace: String, name: String, _ behaviour: DeploymentBehaviour) async {
        await store.setDeploymentBehaviour(namespace: namespace, name: name, behaviour)
    }
}
