import Foundation
import Testing
import TestSupport

/// `--git-timeout`, shared by every command that reaches a Git server.
@Suite("serin --git-timeout")
struct GitTimeoutOptionTests {
    let cli = ValidateCommandTests()

    @Test func aGitServerThatStopsAnsweringFailsTheCommandAfterTheTimeout() throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cache = try TemporaryDirectory(prefix: "serin-git-timeout")
        let outcome = try cli.serin(["status", "--repo", "http://127.0.0.1:\(server.port)/models.git", "--git-timeout", "1s",
                                     "--cache-dir", cache.url.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr == "error: could not fetch refs/heads/serin/status from http://127.0.0.1:\(server.port)/models.git: "
                + "error receiving data from 127.0.0.1:\(server.port): no answer for 1 s, so the server is taken to have stopped "
                + "answering (a slow server needs a longer --git-timeout)\n")
    }

    @Test func theTimeoutCanComeFromTheEnvironment() throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cache = try TemporaryDirectory(prefix: "serin-git-timeout")
        let outcome = try cli.serin(["status", "--repo", "http://127.0.0.1:\(server.port)/models.git", "--cache-dir", cache.url.path],
                                    environment: ["SERIN_GIT_TIMEOUT": "1s"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("no answer for 1 s"), "\(outcome.stderr)")
    }

    @Test(arguments: ["0s", "soon"])
    func aTimeoutThatIsNotAPositiveDurationIsRefused(value: String) throws {
        let outcome = try cli.serin(["status", "--repo", ".", "--git-timeout", value])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("Error: --git-timeout must be a duration such as 60s or 5m, not \(value)\n"), "\(outcome.stderr)")
    }
}
