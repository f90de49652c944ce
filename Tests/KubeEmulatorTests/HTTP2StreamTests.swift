import Foundation
import KubeEmulator
import Testing

/// The curl CLI multiplexes several transfers over one HTTP/2 connection and can give up on one of them alone (it
/// resets that stream and keeps the connection): how a client cancels a watch without hanging up.
@Suite(.enabled(if: CurlCLI.path != nil, "the curl CLI is not installed"))
struct HTTP2StreamTests {
    static let token = "curl-token"

    @Test func cancellingOneWatchStreamEndsThatWatchWhileItsConnectionServesAnother() async throws {
        let pki = try TestPKI()
        var options = KubeEmulatorOptions()
        options.tls = pki.emulatorTLS
        options.acceptedTokens = [Self.token]
        try await withEmulator(options) { handle in
            let emulator = handle.emulator
            let watches = emulator.baseURL + "/api/v1/namespaces/default/configmaps?watch=true"
            let scratch = pki.directory
            func transfer(maxTime: Int, output: String, url: String) -> [String] {
                // Each option after --next is for that transfer alone; --no-buffer writes each event out at once.
                ["--http2", "--no-buffer", "--cacert", pki.certificateAuthority, "-H", "Authorization: Bearer \(Self.token)",
                 "--max-time", String(maxTime), "-o", output, url]
            }
            // curl gives up the first watch after 2 s; the server ends the second after 8 s.
            let curl = try CurlCLI.start(["-sS", "--parallel"]
                + transfer(maxTime: 2, output: scratch + "/first", url: watches)
                + ["--next"] + transfer(maxTime: 30, output: scratch + "/second", url: watches + "&timeoutSeconds=8"))
            defer { curl.stop() }
            #expect(await eventuallyTrue { await emulator.openWatches() == 2 })
            try await Task.sleep(for: .seconds(3))
            #expect(curl.isRunning)

            // curl resets the abandoned stream when it next reads from the connection, here for the event below:
            // the emulator ends that watch, and the other stream on the same connection goes on streaming.
            let created = try CurlCLI.start([
                "-sS", "--http2", "--cacert", pki.certificateAuthority, "-H", "Authorization: Bearer \(Self.token)",
                "-H", "Content-Type: application/json", "-o", "/dev/null", "-X", "POST",
                "-d", #"{"metadata":{"name":"after-cancel"}}"#, emulator.baseURL + "/api/v1/namespaces/default/configmaps"])
            #expect(await created.wait(timeout: .seconds(10)) == 0)
            #expect(await eventuallyTrue(timeout: .seconds(3)) {
                ((try? String(contentsOfFile: scratch + "/second", encoding: .utf8)) ?? "").contains("after-cancel")
            })
            #expect(await eventuallyTrue(timeout: .seconds(3)) { await emulator.openWatches() == 1 })
            #expect(curl.isRunning)
            #expect(!((try? String(contentsOfFile: scratch + "/first", encoding: .utf8)) ?? "").contains("after-cancel"))

            // curl reports its own timeout (28) for the stream it gave up.
            #expect(await curl.wait(timeout: .seconds(15)) == 28)
            #expect(await eventuallyTrue { await emulator.openWatches() == 0 })
            let requests = await emulator.requests()
            let watchRequests = requests.filter { $0.query.contains("watch=true") }
            #expect(watchRequests.count == 2)
            #expect(watchRequests.allSatisfy { $0.httpVersion == "HTTP/2" })
            #expect(Set(watchRequests.map(\.connection)).count == 1)
        }
        withExtendedLifetime(pki) {}
    }
}

/// The curl command-line tool as a child process.
final class CurlCLI {
    static let path = ["/usr/bin/curl", "/usr/local/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    struct NotInstalled: Error {}

    private let process = Process()

    static func start(_ arguments: [String]) throws -> CurlCLI {
        guard let path else { throw NotInstalled() }
        let curl = CurlCLI()
        curl.process.executableURL = URL(fileURLWithPath: path)
        curl.process.arguments = arguments
        curl.process.standardOutput = FileHandle.nullDevice
        curl.process.standardError = FileHandle.nullDevice
        try curl.process.run()
        return curl
    }

    var isRunning: Bool { process.isRunning }

    /// The exit status, or nil when it was still running at the deadline (then it is stopped).
    func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                stop()
                return nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// SIGKILL: the child inherits the test runner's signal mask, in which SIGTERM may be blocked.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
