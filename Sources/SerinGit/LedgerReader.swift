import Logging
import SerinCore

/// Reads the ledger back: where every rollout stood (what Serin reads on start), and one model's timeline.
public struct LedgerReader: Sendable {
    public let mirror: GitMirror
    public let branch: String
    private let logger: Logger

    public init(mirror: GitMirror, branch: String = "serin/status", logger: Logger = Logger(label: "serin.git.ledger")) {
        self.mirror = mirror
        self.branch = branch
        self.logger = logger
    }

    /// The status of every model on the branch's tip, by key; empty when the branch does not exist yet. A status file
    /// that does not read is logged and left out: that model's rollout starts over rather than acting on a guess.
    public func statuses() async throws(GitError) -> [DeploymentKey: RolloutStatus] {
        guard let tip = try await mirror.fetchIfPresent(branch: branch) else { return [:] }
        let files = try await mirror.withRepository { repository throws(GitError) -> [String: [UInt8]] in
            let tree = try repository.commit(tip).tree
            guard let statusTree = try repository.subtree(tree, at: "status") else { return [:] }
            var contents: [String: [UInt8]] = [:]
            for (path, blob) in try repository.files(in: statusTree) where path.hasSuffix(".yaml") {
                contents["status/" + path] = try repository.blob(blob).bytes
            }
            return contents
        }
        var result: [DeploymentKey: RolloutStatus] = [:]
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            switch RolloutStatus.decode(bytes, file: path) {
            case .success(let status): result[status.key] = status
            case .failure(let error):
                logger.error("unreadable status file in the ledger", metadata: ["commit": "\(tip.short)", "error": "\(error)"])
            }
        }
        return result
    }

    /// The model's transitions, oldest first, from the Serin commits on the branch. Commits others pushed to the
    /// branch, and transitions of other models, are skipped.
    public func history(of key: DeploymentKey) async throws(GitError) -> [HistoryEntry] {
        guard let tip = try await mirror.fetchIfPresent(branch: branch) else { return [] }
        let path = RolloutStatus.path(for: key)
        return try await mirror.withRepository { repository throws(GitError) -> [HistoryEntry] in
            var entries: [HistoryEntry] = []
            for id in try repository.commits(from: tip) {
                let commit = try repository.commit(id)
                guard let trailers = LedgerCommitMessage.parse(commit.message), trailers.key == key else { continue }
                if let bytes = try repository.file(at: path, in: id), case .success(let status) = RolloutStatus.decode(bytes, file: path) {
                    entries.append(HistoryEntry(commit: id.hex, status: status))
                } else {
                    entries.append(HistoryEntry(commit: id.hex, time: Timestamp(secondsSinceEpoch: commit.time), trailers: trailers,
                                                message: commit.message))
                }
            }
            return entries
        }
    }
}
