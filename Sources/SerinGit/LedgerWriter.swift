import Foundation
import Logging

/// Writes rollout transitions to the status branch, one commit each, and pushes them without ever losing a commit.
///
/// The mirror's local copy of the branch is the queue: a transition is committed there first, then pushed. When the
/// push is refused because someone else moved the branch on, the writer fetches the new tip, replays its own
/// unpushed commits on top of it (their file contents and messages, not a merge), and pushes again, backing off
/// between attempts. It never force-pushes, so commits others pushed are kept. Commits left unpushed by a crash or
/// a network failure are pushed by the next write or `flush()`.
public actor LedgerWriter {
    public struct Configuration: Sendable {
        public var branch: String
        public var author: GitSignature
        public var committer: GitSignature
        /// Push attempts per write before giving up (the commits stay queued for the next write).
        public var maxAttempts: Int
        /// First delay between attempts; doubled each time, up to `maxBackoff`.
        public var initialBackoff: Duration
        public var maxBackoff: Duration

        public init(branch: String = "serin/status", author: GitSignature = .serin, committer: GitSignature = .serin,
                    maxAttempts: Int = 30, initialBackoff: Duration = .milliseconds(20), maxBackoff: Duration = .seconds(2)) {
            self.branch = branch
            self.author = author
            self.committer = committer
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }
    }

    /// The outcome of one write.
    public struct Written: Sendable, Hashable {
        /// The transition's commit as pushed (after any replay), or nil when the file already held this content.
        public var commit: ObjectID?
        /// Push attempts it took, 1 when nobody raced us.
        public var attempts: Int
    }

    public nonisolated let mirror: GitMirror
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private let lock = AsyncLock()
    /// The remote branch's tip as of the last fetch or push; nil inside `.some` when the branch does not exist yet.
    /// Writes start from it without fetching: a stale value only costs a refused push and a replay.
    private var remoteTip: ObjectID??
    private var jitter = SplitMix64(seed: 0x5e12)

    public init(mirror: GitMirror, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "serin.git.ledger")) {
        self.mirror = mirror
        self.configuration = configuration
        self.logger = logger
    }

    private var localReference: String { "refs/heads/\(configuration.branch)" }

    /// Commits `record` on the status branch and pushes it, with any commits still queued from earlier writes.
    public func write(_ record: LedgerRecord) async throws(GitError) -> Written {
        await lock.acquire()
        defer { lock.release() }
        let remoteTip = try await currentRemoteTip()
        let commit = try await commitLocally(record, remoteTip: remoteTip)
        let (pushed, attempts) = try await push(remoteTip: remoteTip)
        // The record's commit is the newest on the branch, so after any replay it is the pushed tip.
        return Written(commit: commit == nil ? nil : pushed, attempts: attempts)
    }

    /// Pushes commits left queued by an earlier failure. With none queued it returns without reaching the remote,
    /// so a stop while Git is unreachable does not report a failure that lost nothing.
    public func flush() async throws(GitError) {
        await lock.acquire()
        defer { lock.release() }
        guard try await mirror.queuedTip(of: configuration.branch) != nil else { return }
        self.remoteTip = nil
        _ = try await push(remoteTip: try await currentRemoteTip())
    }

    private func currentRemoteTip() async throws(GitError) -> ObjectID? {
        if let remoteTip { return remoteTip }
        let tip = try await mirror.fetchIfPresent(branch: configuration.branch)
        remoteTip = .some(tip)
        return tip
    }

    /// Makes the local branch descend from `remoteTip` (replaying queued commits if it had diverged), then commits
    /// the record on it. Returns the new commit, or nil when the content was already there.
    private func commitLocally(_ record: LedgerRecord, remoteTip: ObjectID?) async throws(GitError) -> ObjectID? {
        let local = localReference
        let configuration = self.configuration
        return try await mirror.withRepository { repository throws(GitError) -> ObjectID? in
            let base = try Self.rebase(repository, local: local, onto: remoteTip, configuration: configuration)
            var parentTree: ObjectID?
            if let base { parentTree = try repository.commit(base).tree }
            let tree = try repository.tree(writing: [record.path: record.content], onto: parentTree)
            if tree == parentTree { return nil }
            let commit = try repository.createCommit(tree: tree, parents: base.map { [$0] } ?? [], message: record.message,
                                                     author: configuration.author, committer: configuration.committer, time: record.time)
            try repository.setReference(local, to: commit, message: "serin: ledger")
            return commit
        }
    }

    /// Pushes the local branch, replaying it on the remote tip after each refusal. Returns the tip that was pushed
    /// and the number of attempts.
    private func push(remoteTip initialTip: ObjectID?) async throws(GitError) -> (ObjectID?, Int) {
        do throws(GitError) {
            let (tip, attempts) = try await pushAttempts(remoteTip: initialTip)
            remoteTip = .some(tip)
            return (tip, attempts)
        } catch {
            remoteTip = nil
            throw error
        }
    }

    private func pushAttempts(remoteTip initialTip: ObjectID?) async throws(GitError) -> (ObjectID?, Int) {
        var remoteTip = initialTip
        var backoff = configuration.initialBackoff
        let remote = mirror.remote
        let local = localReference
        let branch = configuration.branch
        let configuration = self.configuration
        for attempt in 1...configuration.maxAttempts {
            let context = remote.transportContext()
            let knownRemoteTip = remoteTip
            let outcome = try await mirror.withRepository { repository throws(GitError) -> PushOutcome in
                guard let localTip = try repository.resolve(local) else { return .nothingToPush(nil) }
                if localTip == knownRemoteTip { return .nothingToPush(localTip) }
                do throws(GitError) {
                    if let path = RemoteURL.localPath(remote.url) {
                        let moved = try !repository.pushLocally(local, to: path, destination: "refs/heads/\(branch)", expected: knownRemoteTip)
                        if moved { return .refused("the branch moved on") }
                    } else {
                        let rejected = try repository.push(to: remote.url, refspecs: ["\(local):refs/heads/\(branch)"], context: context)
                        if let refusal = rejected.first { return .refused(refusal.status) }
                    }
                    try repository.setReference(GitMirror.fetchedReference(branch), to: localTip, message: "serin: pushed")
                    return .pushed(localTip)
                } catch where error.kind == .nonFastForward {
                    return .refused(error.message)
                }
            }
            switch outcome {
            case .nothingToPush(let tip):
                return (tip, attempt)
            case .pushed(let tip):
                if attempt > 1 { logger.info("ledger pushed after retries", metadata: ["attempts": "\(attempt)"]) }
                return (tip, attempt)
            case .refused(let reason):
                logger.debug("ledger push refused; replaying on the new tip", metadata: ["reason": "\(reason)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: backoff * (0.5 + jitter.nextFraction()))
                backoff = min(backoff * 2, configuration.maxBackoff)
                remoteTip = try await mirror.fetchIfPresent(branch: branch)
                let newTip = remoteTip
                _ = try await mirror.withRepository { repository throws(GitError) -> ObjectID? in
                    try Self.rebase(repository, local: local, onto: newTip, configuration: configuration)
                }
            }
        }
        throw GitError(kind: .nonFastForward, operation: "push the ledger to \(remote.displayURL)",
                       message: "the branch \(branch) kept moving after \(configuration.maxAttempts) attempts; the commits stay queued")
    }

    private enum PushOutcome: Sendable {
        case nothingToPush(ObjectID?)
        case pushed(ObjectID)
        case refused(String)
    }

    /// Replays the local branch's commits that `remoteTip` lacks onto `remoteTip` and points the branch at the
    /// result. Each replayed commit writes the same files with the same message and time as the original.
    /// Returns the new local tip (or the remote tip when nothing was queued).
    static func rebase(_ repository: Repository, local: String, onto remoteTip: ObjectID?,
                       configuration: Configuration) throws(GitError) -> ObjectID? {
        guard let localTip = try repository.resolve(local) else {
            if let remoteTip { try repository.setReference(local, to: remoteTip, message: "serin: start from the remote") }
            return remoteTip
        }
        guard let remoteTip else { return localTip }
        if try repository.isDescendant(localTip, of: remoteTip) { return localTip }
        var tip = remoteTip
        for id in try repository.firstParentCommits(from: localTip, notIn: remoteTip) {
            let original = try repository.commit(id)
            var parentTree: ObjectID?
            if let parent = original.parents.first { parentTree = try repository.commit(parent).tree }
            var files: [String: [UInt8]?] = [:]
            if let parentTree {
                for change in try repository.changes(from: parentTree, to: original.tree) {
                    if let blob = change.blob {
                        files[change.path] = .some(try repository.blob(blob).bytes)
                    } else {
                        files[change.path] = .some(nil)
                    }
                }
            } else {
                for (path, blob) in try repository.files(in: original.tree) { files[path] = try repository.blob(blob).bytes }
            }
            let base = try repository.commit(tip).tree
            let tree = try repository.tree(writing: files, onto: base)
            if tree == base { continue }
            tip = try repository.createCommit(tree: tree, parents: [tip], message: original.message, author: configuration.author,
                                              committer: configuration.committer, time: original.time)
        }
        try repository.setReference(local, to: tip, message: "serin: replay on the remote tip")
        return tip
    }
}

/// A mutual exclusion for async code in an actor: writes to the ledger must not interleave across suspension points.
final class AsyncLock: @unchecked Sendable {
    private let mutex = NSLock()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            mutex.withLock {
                if locked {
                    waiters.append(continuation)
                } else {
                    locked = true
                    continuation.resume()
                }
            }
        }
    }

    func release() {
        mutex.withLock {
            if waiters.isEmpty {
                locked = false
            } else {
                waiters.removeFirst().resume()
            }
        }
    }
}

/// A small deterministic generator for backoff jitter; SerinGit reads no global randomness.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A fraction in 0..<1.
    mutating func nextFraction() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
