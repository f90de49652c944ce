import Logging
import SerinCore

/// Reads the ledger back: where every rollout stood (what Serin reads on start), and one model's timeline.
public struct LedgerReader: Sendable {
    public let mirror: GitMirror
    public let branch: String
    /// When the remote cannot be reached, read the newest ledger this mirror holds (an earlier run's, with any
    /// commits still queued) instead of failing. For the local runtime, alone on its state directory: what served
    /// before a restart is served again while Git is unreachable.
    public let readsLocalWhenUnreachable: Bool
    private let logger: Logger

    public init(mirror: GitMirror, branch: String = "serin/status", readsLocalWhenUnreachable: Bool = false,
                logger: Logger = Logger(label: "serin.git.ledger")) {
        self.mirror = mirror
        self.branch = branch
        self.readsLocalWhenUnreachable = readsLocalWhenUnreachable
        self.logger = logger
    }

    /// The status of every model on the branch's tip, by key; empty when the branch does not exist yet. A status file
    /// that does not read is logged and left out: that model's rollout starts over rather than acting on a guess.
    public func statuses() async throws(GitError) -> [DeploymentKey: RolloutStatus] {
        guard let tip = try await tip() else { return [:] }
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

    /// The branch's tip: fetched, or, when the remote cannot be reached and `readsLocalWhenUnreachable`, the newest
    /// this mirror holds (nil when it holds none either, and the fetch's error is thrown).
    private func tip() async throws(GitError) -> ObjectID? {
        do throws(GitError) {
            return try await mirror.fetchIfPresent(branch: branch)
        } catch {
            guard readsLocalWhenUnreachable, let local = try? await mirror.newestLocalTip(of: branch) else { throw error }
            logger.warning("the ledger cannot be fetched: reading the one this machine last had until Git answers",
                           metadata: ["commit": "\(local.short)", "branch": "\(branch)", "error": "\(error)"])
            return local
        }
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
