import Foundation
import SerinGit
import Synchronization
import Testing
import TestSupport

/// libgit2 1.5 has no network timeouts: Serin's socket stream gives up on a Git host that goes silent, on every
/// transport, and lets a cancelled transfer go at once.
@Suite("Git timeouts")
struct GitTimeoutTests {
    enum Transport: String, CaseIterable, Sendable {
        case git, http, https, ssh

        func url(port: UInt16) -> String {
            self == .ssh ? "ssh://git@127.0.0.1:\(port)/desired.git" : "\(rawValue)://127.0.0.1:\(port)/desired.git"
        }
    }

    /// Fetches main from `url` with `timeout`. A fetch still running after `limit` is cancelled and reported as
    /// hanging without being waited for (a fetch that hangs may not see its cancellation either), so that a
    /// regression fails the test instead of holding it forever.
    private func fetch(_ url: String, timeout: Duration, limit: Duration = .seconds(60)) async throws -> GitError? {
        let cache = try TemporaryDirectory(prefix: "serin-git-timeout")
        // No host key is ever reached: the server says nothing, not even its SSH banner.
        let remote = GitRemote(url: url, hostKeyPolicy: .insecureAcceptAny, timeout: timeout)
        let mirror = try await GitMirror(remote: remote, cacheDirectory: cache.url.path)
        let fetch = startFetch(mirror)
        return try await outcome(of: fetch, within: limit)
    }

    /// Fetches main in a task of its own, which returns the error, or nil when the fetch succeeds.
    private func startFetch(_ mirror: GitMirror) -> Task<GitError?, Never> {
        Task {
            do throws(GitError) {
                _ = try await mirror.fetch(branch: "main")
                return nil
            } catch {
                return error
            }
        }
    }

    /// What `task` returned, or an error saying it is still running after `limit` (it is cancelled then).
    private func outcome(of task: Task<GitError?, Never>, within limit: Duration) async throws -> GitError? {
        let result = Mutex<GitError??>(nil)
        Task { let value = await task.value; result.withLock { $0 = .some(value) } }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let value = result.withLock({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        return GitError(kind: .other, operation: "fetch", message: "still waiting after \(limit)")
    }

    @Test(arguments: Transport.allCases)
    func aServerThatAcceptsAndThenSaysNothingFailsTheFetchAfterTheTimeout(transport: Transport) async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let error = try #require(try await fetch(transport.url(port: server.port), timeout: .seconds(1)))
        #expect(error.message == "error receiving data from 127.0.0.1:\(server.port): no answer for 1 s, so the server "
                + "is taken to have stopped answering (a slow server needs a longer --git-timeout)", "\(error)")
        #expect(error.kind == .other, "a timeout is retried like any unreachable server")
        #expect(server.acceptedConnections == 1)
    }

    @Test func aServerThatNeverTakesTheConnectionFailsTheFetchAfterTheTimeout() async throws {
        let server = try SilentServer(accepting: false)
        defer { server.stop() }
        let error = try #require(try await fetch(Transport.http.url(port: server.port), timeout: .seconds(1)))
        #expect(error.message.hasPrefix("failed to connect to 127.0.0.1:\(server.port): no answer for 1 s"), "\(error)")
    }

    @Test(arguments: [Transport.http, .ssh])
    func cancellingAFetchWaitingOnASilentServerEndsItAtOnce(transport: Transport) async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cache = try TemporaryDirectory(prefix: "serin-git-timeout")
        let mirror = try await GitMirror(remote: GitRemote(url: transport.url(port: server.port), hostKeyPolicy: .insecureAcceptAny,
                                                           timeout: .seconds(90)),
                                         cacheDirectory: cache.url.path)
        let fetch = startFetch(mirror)
        while server.acceptedConnections == 0 { try await Task.sleep(for: .milliseconds(20)) }
        fetch.cancel()
        // A cancellation the stream does not see ends only with the timeout, which says so instead.
        let error = try #require(try await outcome(of: fetch, within: .seconds(120)))
        #expect(error.kind == .cancelled, "\(error)")
        #expect(error.message == "the transfer was cancelled", "\(error)")
    }
}
