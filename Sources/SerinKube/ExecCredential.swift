import Foundation
import SerinCore
import SerinHTTP

/// A kubeconfig `user.exec` entry: a command that prints a `client.authentication.k8s.io` ExecCredential, as cloud
/// providers' tools do (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`).
public struct ExecCredentialPlugin: Sendable, Hashable {
    public static let supportedAPIVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    /// The command; one containing a `/` was resolved against the kubeconfig's directory, others are found in PATH.
    public var command: String
    public var arguments: [String]
    /// Added to Serin's own environment for the plugin.
    public var environment: [String: String]
    public var apiVersion: String
    /// Shown when the command cannot be run, e.g. how to install it.
    public var installHint: String?
    /// Whether the plugin is told the cluster's address and CA in `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool

    public init(command: String, arguments: [String] = [], environment: [String: String] = [:],
                apiVersion: String = "client.authentication.k8s.io/v1", installHint: String? = nil,
                provideClusterInfo: Bool = false) {
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.apiVersion = apiVersion
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
    }
}

/// What a plugin proved: a bearer token or a client certificate, valid until `expiry` when it said so.
struct ExecCredential: Sendable, Equatable {
    var token: String?
    var clientCertificate: [UInt8]?
    var clientKey: [UInt8]?
    var expiry: Date?
}

/// Runs a credential plugin when a credential is needed and caches what it printed until it expires (or the server
/// refuses it), as client-go does. Plugins are not interactive here: Serin runs unattended.
actor ExecCredentialSource {
    let plugin: ExecCredentialPlugin
    private let clusterInfo: JSONValue
    private let timeout: Duration
    private var cached: ExecCredential?

    init(plugin: ExecCredentialPlugin, server: String, tls: TLSOptions, timeout: Duration = .seconds(60)) {
        self.plugin = plugin
        self.timeout = timeout
        var cluster: [String: JSONValue] = ["server": .string(server)]
        if case .data(let bytes) = tls.certificateAuthority {
            cluster["certificate-authority-data"] = .string(Data(bytes).base64EncodedString())
        }
        if tls.insecureSkipVerify { cluster["insecure-skip-tls-verify"] = true }
        if let name = tls.serverName { cluster["tls-server-name"] = .string(name) }
        clusterInfo = .object(cluster)
    }

    /// The credential to send now: the cached one while it is valid, else a fresh one from the plugin.
    func current() async throws(KubeError) -> ExecCredential {
        if let cached, cached.expiry.map({ $0.timeIntervalSinceNow > 10 }) ?? true { return cached }
        return try await refresh()
    }

    /// Runs the plugin again after a 401; true when it printed a different credential, worth one retry.
    func reloadAfterRefusal() async -> Bool {
        let before = cached
        guard let fresh = try? await refresh() else { return false }
        return fresh != before
    }

    private func refresh() async throws(KubeError) -> ExecCredential {
        var input: [String: JSONValue] = ["interactive": false]
        if plugin.provideClusterInfo { input["cluster"] = clusterInfo }
        let execInfo: JSONValue = ["apiVersion": .string(plugin.apiVersion), "kind": "ExecCredential", "spec": .object(input)]
        var environment = ProcessInfo.processInfo.environment
        environment.merge(plugin.environment) { _, new in new }
        environment["KUBERNETES_EXEC_INFO"] = execInfo.serialized

        let hint = plugin.installHint.map { " (\($0.trimmingCharacters(in: .whitespacesAndNewlines)))" } ?? ""
        let outcome: PluginProcess.Outcome
        switch await PluginProcess.run(plugin.command, plugin.arguments, environment: environment, timeout: timeout) {
        case .failure(let failure):
            throw .transport("the exec credential plugin could not run: \(failure.message)\(hint)")
        case .success(let result):
            outcome = result
        }
        let stderr = String(decoding: outcome.standardError.suffix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if outcome.timedOut {
            throw .transport("the exec credential plugin \(plugin.command) did not finish within \(timeout)")
        }
        guard outcome.exitStatus == 0 else {
            let status = outcome.exitStatus.map { "exited with status \($0)" } ?? "was killed"
            throw .transport("the exec credential plugin \(plugin.command) \(status)\(stderr.isEmpty ? "" : ": \(stderr)")\(hint)")
        }
        let credential = try Self.parse(outcome.standardOutput, plugin: plugin)
        cached = credential
        return credential
    }

    /// Reads the ExecCredential a plugin printed. Its contents are secret: errors describe its shape, never its values.
    static func parse(_ bytes: [UInt8], plugin: ExecCredentialPlugin) throws(KubeError) -> ExecCredential {
        let what = "the exec credential plugin \(plugin.command)"
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch {
            throw .invalidResponse("\(what) printed something that is not JSON; expected an ExecCredential")
        }
        guard json["kind"]?.stringValue == "ExecCredential" else {
            throw .invalidResponse("\(what) printed JSON whose kind is not ExecCredential")
        }
        guard json["apiVersion"]?.stringValue == plugin.apiVersion else {
            throw .invalidResponse("\(what) printed apiVersion \(json["apiVersion"]?.stringValue ?? "(none)"), expected \(plugin.apiVersion) as the kubeconfig says")
        }
        guard let status = json["status"] else { throw .invalidResponse("\(what) printed an ExecCredential without status") }
        var credential = ExecCredential()
        credential.token = status["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        credential.clientCertificate = status["clientCertificateData"]?.stringValue.map { Array($0.utf8) }
        credential.clientKey = status["clientKeyData"]?.stringValue.map { Array($0.utf8) }
        if let text = status["expirationTimestamp"]?.stringValue {
            guard let time = Timestamp(rfc3339: text) else {
                throw .invalidResponse("\(what) printed an expirationTimestamp that is not an RFC 3339 time")
            }
            credential.expiry = Date(timeIntervalSince1970: TimeInterval(time.millisecondsSinceEpoch) / 1_000)
        }
        if credential.token == nil && (credential.clientCertificate == nil || credential.clientKey == nil) {
            throw .invalidResponse("\(what) printed neither a token nor a client certificate and key")
        }
        return credential
    }
}
