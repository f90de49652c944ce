import Foundation
import SerinCore
import Testing

/// The `kube-emulator` executable end to end: its TLS flags, the kubeconfig it writes, and kubectl using that
/// kubeconfig as it is, token and CA included.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed"))
struct KubeEmulatorCommandTests {
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("kube-emulator")

    @Test func tlsFlagsServeHTTPSAndPutTheCAInTheKubeconfig() async throws {
        let pki = try TestPKI()
        let kubeconfig = pki.directory + "/kubeconfig"
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--kubeconfig-out", kubeconfig, "--token", "command-token",
                             "--tls-cert-file", pki.serverCertificate, "--tls-key-file", pki.serverKey,
                             "--tls-ca-file", pki.certificateAuthority]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // SIGKILL: the child inherits the test runner's signal mask, in which SIGTERM may be blocked.
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(await eventuallyTrue { FileManager.default.fileExists(atPath: kubeconfig) })
        let text = try String(contentsOfFile: kubeconfig, encoding: .utf8)
        #expect(text.contains("server: https://127.0.0.1:"))
        let authority = try String(contentsOfFile: pki.certificateAuthority, encoding: .utf8)
        #expect(text.contains("certificate-authority-data: " + Data(authority.utf8).base64EncodedString()))

        let kubectl = Kubectl(directory: pki.directory, kubeconfig: kubeconfig)
        let namespaces = try await kubectl.run(["get", "namespaces", "-o", "json"])
        #expect(namespaces.status == 0, "\(namespaces.error)")
        let names = try JSONValue(parsing: namespaces.output)["items"]?.arrayValue?
            .compactMap { $0[path: "metadata", "name"]?.stringValue }
        #expect(names == ["default", "kube-public", "kube-system"])
        withExtendedLifetime(pki) {}
    }

    @Test func aCertificateWithoutItsKeyIsRefusedBeforeServing() throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--kubeconfig-out", NSTemporaryDirectory() + "unused-\(UUID().uuidString)",
                             "--tls-cert-file", "server.crt"]
        let error = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = error
        try process.run()
        let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("--tls-cert-file and --tls-key-file go together"))
    }
}
