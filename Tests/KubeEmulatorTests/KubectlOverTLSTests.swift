import Foundation
import KubeEmulator
import SerinCore
import Testing

/// The real kubectl against an emulator serving HTTPS with a test CA and bearer-token authentication on, as against a
/// real cluster: kubectl verifies the certificate by IP, sends its token, and speaks HTTP/2 (negotiated by ALPN)
/// for everything, watches included.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed"))
struct KubectlOverTLSTests {
    static let token = "kubectl-over-tls"

    /// An emulator with TLS and `token` required, and a kubectl whose kubeconfig (written by the emulator) carries
    /// the CA and `kubectlToken`.
    func withTLSEmulator(kubectlToken: String = token,
                         _ body: (KubeEmulatorHandle, Kubectl) async throws -> Void) async throws
    {
        let pki = try TestPKI()
        var options = KubeEmulatorOptions()
        options.tls = pki.emulatorTLS
        options.acceptedTokens = [Self.token]
        try await withEmulator(options) { emulator in
            #expect(emulator.emulator.baseURL == "https://127.0.0.1:\(emulator.emulator.port)")
            try await body(emulator, try Kubectl.make(for: emulator, token: kubectlToken))
        }
        withExtendedLifetime(pki) {}
    }

    func deployment(image: String) -> String {
        KubectlTests.deployment.replacingOccurrences(of: "IMAGE", with: image)
    }

    @Test func applyTwiceThenGetAsJSONOverHTTP2WithTheToken() async throws {
        try await withTLSEmulator { emulator, kubectl in
            let created = try await kubectl.run(["apply", "-f", try kubectl.manifest("d1.yaml", deployment(image: "1"))])
            #expect(created.status == 0, "\(created.error)")
            #expect(created.output.contains("deployment.apps/web created"))
            let configured = try await kubectl.run(["apply", "-f", try kubectl.manifest("d2.yaml", deployment(image: "2"))])
            #expect(configured.status == 0, "\(configured.error)")
            #expect(configured.output.contains("deployment.apps/web configured"))
            let read = try await kubectl.run(["get", "deployment", "web", "-o", "json"])
            #expect(read.status == 0, "\(read.error)")
            let object = try JSONValue(parsing: read.output)
            #expect(object[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["image"] == "example/model:2")
            #expect(object[path: "metadata", "generation"] == 2)

            let requests = await emulator.emulator.requests()
            #expect(requests.count >= 5)
            #expect(requests.allSatisfy { $0.httpVersion == "HTTP/2" }, "\(Set(requests.map(\.httpVersion)))")
            #expect(!requests.contains { $0.status == 401 })
            #expect(requests.filter { $0.method == "PATCH" }.map(\.contentType) == ["application/strategic-merge-patch+json"])
            // Go multiplexes every request of one kubectl run over one connection.
            let connections = Set(requests.map(\.connection))
            #expect(connections.count <= 3, "three kubectl runs used \(connections.count) connections")
        }
    }

    @Test func patchThenDeleteOverHTTP2() async throws {
        try await withTLSEmulator { emulator, kubectl in
            #expect(try await kubectl.run(["create", "-f", try kubectl.manifest("d.yaml", deployment(image: "1"))]).status == 0)
            let merge = try await kubectl.run(["patch", "deployment", "web", "--type", "merge", "-p",
                                               #"{"metadata":{"labels":{"tier":"x"}}}"#])
            #expect(merge.status == 0, "\(merge.error)")
            let json = try await kubectl.run(["patch", "deployment", "web", "--type", "json", "-p",
                                              #"[{"op":"replace","path":"/spec/replicas","value":4}]"#])
            #expect(json.status == 0, "\(json.error)")
            let read = try JSONValue(parsing: try await kubectl.run(["get", "deployment", "web", "-o", "json"]).output)
            #expect(read[path: "spec", "replicas"] == 4)
            #expect(read[path: "metadata", "labels", "tier"] == "x")
            let deleted = try await kubectl.run(["delete", "deployment", "web"])
            #expect(deleted.status == 0, "\(deleted.error)")
            #expect(deleted.output.contains(#"deployment.apps "web" deleted"#))
            let gone = try await kubectl.run(["get", "deployment", "web", "-o", "json"])
            #expect(gone.status != 0)
            #expect(gone.error.contains(#"deployments.apps "web" not found"#))

            let requests = await emulator.emulator.requests()
            #expect(requests.allSatisfy { $0.httpVersion == "HTTP/2" })
            #expect(requests.filter { $0.method == "PATCH" }.map(\.contentType)
                == ["application/merge-patch+json", "application/json-patch+json"])
            #expect(requests.contains { $0.method == "DELETE" && $0.status == 200 })
        }
    }

    @Test func getWatchReadsEventsStreamedOverHTTP2AsTheyHappen() async throws {
        try await withTLSEmulator { emulator, kubectl in
            #expect(try await kubectl.run(["create", "-f", try kubectl.manifest("d.yaml", deployment(image: "1"))]).status == 0)
            async let watched = kubectl.run(["get", "deployment", "web", "--watch", "-o", "json"], timeout: .seconds(6))
            // Two changes a second apart, each while the watch is open: each must reach kubectl on its own.
            #expect(await eventuallyTrue { await emulator.emulator.openWatches() == 1 })
            for value in ["first", "second"] {
                let patched = try await kubectl.run(["patch", "deployment", "web", "--type", "merge", "-p",
                                                     #"{"metadata":{"labels":{"watched":"\#(value)"}}}"#])
                #expect(patched.status == 0, "\(patched.error)")
                try await Task.sleep(for: .seconds(1))
            }
            let result = try await watched
            #expect(result.timedOut)
            #expect(result.output.contains(#""watched": "first""#))
            #expect(result.output.contains(#""watched": "second""#))

            let watches = await emulator.emulator.requests().filter { $0.query.contains("watch=true") }
            #expect(!watches.isEmpty)
            #expect(watches.allSatisfy { $0.httpVersion == "HTTP/2" && $0.status == 200 })
            // kubectl was stopped: the emulator notices and drops the watch.
            #expect(await eventuallyTrue { await emulator.emulator.openWatches() == 0 })
        }
    }

    @Test func rolloutStatusFinishesOverHTTP2AndItsWatchIsClosed() async throws {
        try await withTLSEmulator { emulator, kubectl in
            #expect(try await kubectl.run(["apply", "-f", try kubectl.manifest("d.yaml", deployment(image: "1"))]).status == 0)
            let rollout = try await kubectl.run(["rollout", "status", "deployment/web", "--timeout=20s"])
            #expect(rollout.status == 0, "\(rollout.error)")
            #expect(rollout.output.contains(#"deployment "web" successfully rolled out"#))
            let watches = await emulator.emulator.requests().filter { $0.query.contains("watch=true") }
            #expect(!watches.isEmpty)
            #expect(watches.allSatisfy { $0.httpVersion == "HTTP/2" })
            #expect(await eventuallyTrue { await emulator.emulator.openWatches() == 0 })
        }
    }

    @Test func aWrongTokenIsRefusedWith401() async throws {
        try await withTLSEmulator(kubectlToken: "not-the-token") { emulator, kubectl in
            let refused = try await kubectl.run(["get", "configmaps", "-o", "json"])
            #expect(refused.status != 0)
            // kubectl's words for a 401.
            #expect(refused.error.contains("You must be logged in to the server"), "\(refused.error)")
            let requests = await emulator.emulator.requests()
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { $0.status == 401 && $0.httpVersion == "HTTP/2" })
        }
    }

    @Test func aKubeconfigWithoutTheCAFailsVerification() async throws {
        try await withTLSEmulator { emulator, kubectl in
            let kubeconfig = try String(contentsOfFile: kubectl.kubeconfig, encoding: .utf8)
            #expect(kubeconfig.contains("certificate-authority-data: "))
            let withoutCA = kubeconfig.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains("certificate-authority-data") }.joined(separator: "\n")
            try withoutCA.write(toFile: kubectl.kubeconfig, atomically: true, encoding: .utf8)
            let refused = try await kubectl.run(["get", "configmaps", "-o", "json"])
            #expect(refused.status != 0)
            #expect(refused.error.contains("certificate signed by unknown authority"), "\(refused.error)")
            // kubectl connected, gave up in the handshake, and sent nothing. (The emulator counts a connection when
            // its accept loop takes it, which may come after kubectl has already given up.)
            #expect(await eventuallyTrue { await emulator.emulator.acceptedConnections() >= 1 })
            #expect(await emulator.emulator.requests().isEmpty)
        }
    }

    @Test func kubectlWithHTTP2DisabledIsServedOverHTTP1OnTheSameTLSPort() async throws {
        try await withTLSEmulator { emulator, kubectl in
            let environment = ["DISABLE_HTTP2": "1"]
            let created = try await kubectl.run(["apply", "-f", try kubectl.manifest("d.yaml", deployment(image: "1"))],
                                                environment: environment)
            #expect(created.status == 0, "\(created.error)")
            let read = try await kubectl.run(["get", "deployment", "web", "-o", "json"], environment: environment)
            #expect(read.status == 0, "\(read.error)")
            #expect(try JSONValue(parsing: read.output)[path: "metadata", "name"] == "web")
            let requests = await emulator.emulator.requests()
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { $0.httpVersion == "HTTP/1.1" }, "\(Set(requests.map(\.httpVersion)))")
        }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventuallyTrue(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}
