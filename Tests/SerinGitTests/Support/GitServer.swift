import Foundation
import TestSupport

/// What every loopback Git server of the harness offers.
///
/// Each server lives in a temporary directory of its own (`temporaryDirectory`): the bare repositories it
/// serves (`repositoriesRoot`), its configuration, keys and log, a HOME for git commands and scratch work trees.
/// `stop()` ends its processes and removes that directory; `deinit` does the same as a safety net.
protocol GitServer: AnyObject, Sendable {
    /// The port on 127.0.0.1 the server listens on.
    var port: UInt16 { get }
    /// The directory of the bare repositories the server serves.
    var repositoriesRoot: URL { get }
    /// The server's own temporary directory; removed by `stop()`.
    var temporaryDirectory: URL { get }
    /// The server's process id, which is also its process group id.
    var processIdentifier: pid_t { get }
    /// What the server has logged so far (its stderr, plus its log file when it has one).
    var log: String { get }
    /// A git CLI with an isolated HOME (and, for SSH, GIT_SSH_COMMAND) that can reach this server.
    var git: GitCLI { get }
    /// The URL git clients use for the repository `name` (without ".git"), e.g. `git://127.0.0.1:PORT/name.git`.
    func url(forRepository name: String) -> String
    /// Ends the server and everything it started, and removes its temporary directory. Safe to call twice.
    func stop()
}

extension GitServer {
    /// Creates the bare repository `name.git` in this server's `repositoriesRoot`, with a scratch work tree
    /// in the server's temporary directory to seed it with commits.
    func makeBareRepository(named name: String, initialBranch: String = "main") throws -> BareRepositoryFixture {
        try BareRepositoryFixture.create(
            named: name,
            in: repositoriesRoot,
            scratchDirectory: temporaryDirectory.appendingPathComponent("work", isDirectory: true),
            git: git,
            initialBranch: initialBranch
        )
    }

    /// A new empty directory in the server's temporary directory, e.g. for a test's clone.
    func makeScratchDirectory(_ name: String = "scratch") throws -> URL {
        let directory = temporaryDirectory
            .appendingPathComponent("work", isDirectory: true)
            .appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// Repository names accepted by the harness: one path segment of letters, digits, ".", "_" and "-".
enum RepositoryName {
    static func validate(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, !name.hasPrefix("."), name.allSatisfy({ allowed.contains($0) }) else {
            throw HarnessError("repository name \"\(name)\" is not one plain path segment")
        }
    }
}
