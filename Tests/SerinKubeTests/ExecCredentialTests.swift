import Foundation
import KubeEmulator
import SerinCore
import SerinKube
import Testing

/// A credential plugin as a shell script: prints the token in `next-token` as an ExecCredential (with the expiry in
/// `expiry`, if any), counts its runs in `runs`, and saves the KUBERNETES_EXEC_INFO it was given.
private struct PluginScript {
    let scratch: ScratchDirectory
    let path: String

    init(_ scratch: ScratchDirectory, token: String, expiry: String? = nil, failing: Bool = false) throws {
        self.scratch = scratch
        try scratch.write("next-token", token)
        if let expiry { try scratch.write("expiry", expiry) }
        let dir = scratch.path
        path = try scratch.write("plugin.sh", failing ? """
            #!/bin/sh
            echo run >> '\(dir)/runs'
            echo "error: the SSO session has expired" >&2
            exit 3
            """ : """
            #!/bin/sh
            echo run >> '\(dir)/runs'
            printf '%s' "$KUBERNETES_EXEC_INFO" > '\(dir)/exec-info'
            token=$(cat '\(dir)/next-token')
            if [ -f '\(dir)/expiry' ]; then expiry=",\\"expirationTimestamp\\":\\"$(cat '\(dir)/expiry')\\""; else expiry=""; fi
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"%s}}' "$token" "$expiry"
            """)
        chmod(path, 0o755)
    }

    var runs: Int {
        (try? String(contentsOfFile: scratch.path + "/runs", encoding: .utf8))?.split(separator: "\n").count ?? 0
    }

    func plugin(installHint: String? = nil, provideClusterInfo: Bool = false) -> ExecCredentialPlugin {
        ExecCredentialPlugin(command: path, installHint: installHint, provideClusterInfo: provideClusterInfo)
    }
}

@Suite("Exec credential plugins against the emulator")
struct ExecCredentialTests {
    @Test func thePluginsTokenIsSentAndCachedAcrossRequests() async throws {
        var options = KubeEmulatorOptions()
        options.acceptedTokens = ["exec-one"]
        try await withEmulator(options) { emulator, _, scratch in
            let script = try PluginScript(scratch, token: "exec-one")
            let client = KubeClient(configuration: KubeConfiguration(server: emulator.baseURL, credentials: .exec(script.plugin())),
                                    logger: Quiet.logger)
            for index in 0..<5 { _ = try await client.create(.configMaps, configMap("cm-\(index)")) }
            #expect(script.runs == 1)
            #expect(await emulator.requests().map(\.status) == [201, 201, 201, 201, 201])
        }
    }

    @Test func aRefusedCredentialRunsThePluginAgainAndRetriesOnce() async throws {
        var options = KubeEmulatorOptions()
        options.acceptedTokens = ["exec-one"]
        try await withEmulator(options) { emulator, _, scratch in
            let script = try PluginScript(scratch, token: "exec-one")
            let client = KubeClient(configuration: KubeConfiguration(server: emulator.baseURL, credentials: .exec(script.plugin())),
                                    logger: Quiet.logger)
            _ = try await client.create(.configMaps, configMap("before"))
            try scratch.write("next-token", "exec-two")
            await emulator.setAcceptedTokens(["exec-two"])
            _ = try await client.get(.configMaps, name: "before")
            #expect(script.runs == 2)
            #expect(await emulator.requests().suffix(2).map(\.status) == [401, 200])
        }
    }

    @Test func anExpiredCredentialIsRenewedBeforeTheNextRequest() async throws {
        var options = KubeEmulatorOptions()
        options.acceptedTokens = ["short-lived"]
        try await withEmulator(options) { emulator, _, scratch in
            // Already within the renewal margin: every request needs a fresh one.
            let script = try PluginScript(scratch, token: "short-lived", expiry: Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000)).description)
            let client = KubeClient(configuration: KubeConfiguration(server: emulator.baseURL, credentials: .exec(script.plugin())),
                                    logger: Quiet.logger)
            for index in 0..<3 { _ = try await client.create(.configMaps, configMap("cm-\(index)")) }
            #expect(script.runs == 3)
        }
    }

    @Test func thePluginIsToldTheClusterWhenItAsksAndNeverInteractive() async throws {
        try await withEmulator { emulator, _, scratch in
            let script = try PluginScript(scratch, token: "anything")
            let client = KubeClient(configuration: KubeConfiguration(
                server: emulator.baseURL, credentials: .exec(script.plugin(provideClusterInfo: true))), logger: Quiet.logger)
            _ = try await client.list(.configMaps, namespace: "default")
            let info = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/exec-info"))))
            #expect(info["kind"] == "ExecCredential")
            #expect(info["spec"]?["interactive"] == false)
            #expect(info["spec"]?["cluster"]?["server"] == .string(emulator.baseURL))
        }
    }

    @Test func aFailingPluginReportsItsStatusMessageAndInstallHint() async throws {
        try await withEmulator { emulator, _, scratch in
            let script = try PluginScript(scratch, token: "unused", failing: true)
            let client = KubeClient(configuration: KubeConfiguration(
                server: emulator.baseURL, credentials: .exec(script.plugin(installHint: "run aws sso login"))), logger: Quiet.logger)
            do {
                _ = try await client.list(.configMaps, namespace: "default")
                Issue.record("expected the plugin's failure")
            } catch {
                #expect("\(error)".contains("exited with status 3: error: the SSO session has expired (run aws sso login)"))
            }
            #expect(await emulator.requests().isEmpty)
        }
    }

    @Test func aMissingPluginSaysItCannotRun() async throws {
        try await withEmulator { emulator, _, _ in
            let client = KubeClient(configuration: KubeConfiguration(
                server: emulator.baseURL, credentials: .exec(ExecCredentialPlugin(command: "serin-no-such-plugin", installHint: "brew install it"))),
                logger: Quiet.logger)
            do {
                _ = try await client.list(.configMaps, namespace: "default")
                Issue.record("expected an error")
            } catch {
                #expect("\(error)".contains("the exec credential plugin could not run: command not found: serin-no-such-plugin"))
                #expect("\(error)".contains("brew install it"))
            }
        }
    }
}
