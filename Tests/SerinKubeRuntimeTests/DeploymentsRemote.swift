import Foundation
import SerinGit
import SerinOperator

/// A bare Git repository on disk that stands for the team's deployments repository: commits land on `main` the way
/// merged pull requests do (through libgit2, as a real push), and Serin's ledger goes to `serin/status`.
final class DeploymentsRemote: @unchecked Sendable {
    let root: String
    var bare: String { root + "/remote.git" }
    private var writer: LedgerWriter?
    private var time: Int64 = 1_795_918_800

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-kuberuntime-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["init", "--quiet", "--bare", "--initial-branch=main", bare]
        try git.run()
        git.waitUntilExit()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func mirror(_ name: String) async throws -> GitMirror {
        try await GitMirror(remote: GitRemote(url: bare), cacheDirectory: root + "/" + name)
    }

    /// Commits `text` at `path` on main, as a merged pull request would.
    func merge(_ path: String, _ text: String, message: String) async throws {
        if writer == nil {
            writer = LedgerWriter(mirror: try await mirror("author"), configuration: .init(branch: "main"), logger: Quiet.logger)
        }
        time += 1
        _ = try await writer?.write(LedgerRecord(path: path, content: Array(text.utf8), message: message + "\n", time: time))
    }

    func ledger() async throws -> (RolloutLedger, LedgerReader) {
        let reader = LedgerReader(mirror: try await mirror("reader-\(UUID().uuidString)"), logger: Quiet.logger)
        let writer = LedgerWriter(mirror: try await mirror("ledger-\(UUID().uuidString)"), logger: Quiet.logger)
        return (RolloutLedger(writer: writer, reader: reader, logger: Quiet.logger), reader)
    }
}
