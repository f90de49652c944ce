import Foundation
import Logging
import SerinGit
import SerinOperator

/// A bare Git repository on disk that stands for the team's deployments repository: commits land on `main` the way
/// merged pull requests do (through libgit2, as a real push), and Serin's ledger goes to `serin/status`.
public final class DeploymentsRemote: @unchecked Sendable {
    public let root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-remote-\(UUID().uuidString)").path
    public var bare: String { root + "/remote.git" }
    private var writer: LedgerWriter?
    private var time: Int64 = 1_795_918_800
    private static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    public init() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["init", "--quiet", "--bare", "--initial-branch=main", bare]
        try git.run()
        git.waitUntilExit()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// A mirror of the remote in its own cache directory `name`: one per independent reader or writer.
    public func mirror(_ name: String) async throws -> GitMirror {
        try await GitMirror(remote: GitRemote(url: bare), cacheDirectory: root + "/" + name)
    }

    /// Commits `text` at `path` on main, as a merged pull request would.
    public func merge(_ path: String, _ text: String, message: String) async throws {
        if writer == nil {
            writer = LedgerWriter(mirror: try await mirror("author"), configuration: .init(branch: "main"), logger: Self.quiet)
        }
        time += 1
        _ = try await writer?.write(LedgerRecord(path: path, content: Array(text.utf8), message: message + "\n", time: time))
    }

    /// The subjects of `branch`'s commits, oldest first, as the git CLI reads them.
    public func subjects(of branch: String) throws -> [String] {
        let git = Process()
        let output = Pipe()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["--git-dir", bare, "log", "--reverse", "--format=%s", branch]
        git.standardOutput = output
        try git.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        git.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// A rollout ledger on `serin/status`, and a reader of it on mirrors of their own.
    public func ledger() async throws -> (RolloutLedger, LedgerReader) {
        let reader = LedgerReader(mirror: try await mirror("reader-\(UUID().uuidString)"), logger: Self.quiet)
        let writer = LedgerWriter(mirror: try await mirror("ledger-\(UUID().uuidString)"), logger: Self.quiet)
        return (RolloutLedger(writer: writer, reader: reader, logger: Self.quiet), reader)
    }
}
