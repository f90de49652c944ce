import Foundation
import Logging
import SerinCore

/// Reads desired state from one branch of a Git remote, incrementally: between two commits only the files that
/// changed under the deployments root are read and decoded again. A commit that does not validate is never applied;
/// the last good desired state stays in force until a valid commit replaces it.
///
/// Each sync runs its steps in a fixed order: fetch, resolve the tip, diff the deployments root against the last
/// synced commit, decode the changed files, assemble, and only then decide.
public actor DesiredStateSource {
    public struct Configuration: Sendable {
        public var branch: String
        /// The directory holding the ModelDeployment files, relative to the repository root; empty for the root.
        public var root: String
        public var limits: YAMLLimits
        /// When the first fetch of this process fails, read the branch as the mirror last fetched it (in an earlier
        /// run) and hand that on as the last good state, so that what served before a restart serves again while
        /// Git is unreachable. For a runtime whose workloads end with the process (the local one); a cluster keeps
        /// serving on its own.
        public var startFromLastFetched: Bool

        public init(branch: String = "main", root: String = "deployments", limits: YAMLLimits = .standard,
                    startFromLastFetched: Bool = false) {
            self.branch = branch
            self.root = root.split(separator: "/").joined(separator: "/")
            self.limits = limits
            self.startFromLastFetched = startFromLastFetched
        }
    }


    public nonisolated let mirror: GitMirror
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private var syncedCommit: ObjectID?
    private var syncedRoot: ObjectID?
    /// The files decoded at the synced commit; a sync replaces only those the tree diff names.
    private var assembly = DesiredStateAssembly()
    public private(set) var lastGood: DesiredSnapshot?
    private let wake = WakeSignal()

    public init(mirror: GitMirror, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "serin.git.source")) {
        self.mirror = mirror
        self.configuration = configuration
        self.logger = logger
    }

    /// Fetches the branch and brings the desired state up to date with its tip. A mirror found damaged (objects
    /// it once had are unreadable) is rebuilt from the remote and the sync tried once more.
    public func sync() async -> SyncOutcome {
        let outcome = await syncOnce()
        guard case .failed(let error, _) = outcome, await mirrorIsDamaged(after: error) else { return outcome }
        logger.warning("the mirror is damaged; rebuilding it from the remote", metadata: ["path": "\(mirror.path)", "error": "\(error)"])
        do throws(GitError) {
            try await mirror.recreate()
        } catch {
            return .failed(error, lastGood: lastGood)
        }
        syncedCommit = nil
        syncedRoot = nil
        assembly = DesiredStateAssembly()
        return await syncOnce()
    }

    /// Syncs now and then again after each delay the schedule gives (the interval with jitter, or an exponential
    /// backoff after failures), or as soon as `trigger()` is called, until the task is cancelled. Every outcome is
    /// handed to `onOutcome`, with how long the sync took, before the next sync starts.
    public func run<C: Clock>(schedule: SyncSchedule = SyncSchedule(), clock: C,
                              onOutcome: @Sendable (SyncOutcome, Duration) async -> Void) async where C.Duration == Duration {
        var failures = 0
        var draws = SplitMix64(seed: UInt64(truncatingIfNeeded: mirror.path.hashValue))
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let outcome = await sync()
            let took = ContinuousClock.now - started
            if case .failed = outcome { failures += 1 } else { failures = 0 }
            await onOutcome(outcome, took)
            let delay = schedule.delay(consecutiveFailures: failures, draw: draws.nextFraction())
            await waitForTrigger(orFor: delay, clock: clock)
        }
    }

    /// Asks the running loop to sync now (a webhook says the branch moved). Triggers that arrive while a sync runs
    /// collapse into one more sync afterwards.
    public nonisolated func trigger() {
        wake.fire()
    }

    private func waitForTrigger<C: Clock>(orFor delay: Duration, clock: C) async where C.Duration == Duration {
        let wake = self.wake
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: delay) }
            group.addTask { await wake.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    private func mirrorIsDamaged(after error: GitError) async -> Bool {
        switch error.kind {
        case .authentication, .certificate, .hostKey, .cancelled: return false
        default: break
        }
        if let syncedCommit { return await !mirror.canRead(syncedCommit) }
        // Nothing synced yet in this process: the damage may predate it (Serin restarted on a broken cache).
        return await mirror.cannotReadFetchedTip(of: configuration.branch)
    }

    private func syncOnce() async -> SyncOutcome {
        let tip: ObjectID
        do throws(GitError) {
            tip = try await mirror.fetch(branch: configuration.branch)
        } catch {
            logger.warning("sync failed", metadata: ["error": "\(error)", "remote": "\(mirror.remote.displayURL)"])
            if syncedCommit == nil, configuration.startFromLastFetched { await readLastFetched() }
            return .failed(error, lastGood: lastGood)
        }
        if tip == syncedCommit { return .unchanged(tip) }
        do throws(GitError) {
            return try await read(tip)
        } catch {
            logger.warning("reading the desired state failed", metadata: ["commit": "\(tip.short)", "error": "\(error)"])
            return .failed(error, lastGood: lastGood)
        }
    }

    /// Reads the branch as the mirror last fetched it, once, when Git cannot be reached on the first sync; a valid
    /// commit there becomes the last good state, and the next sync that reaches Git carries on from it.
    private func readLastFetched() async {
        guard let tip = try? await mirror.lastFetchedTip(of: configuration.branch) else { return }
        logger.warning("the desired branch cannot be fetched: applying the state this machine last fetched until it can",
                       metadata: ["commit": "\(tip.short)", "branch": "\(configuration.branch)"])
        do throws(GitError) {
            if case .invalid(_, let diagnostics, _) = try await read(tip) {
                logger.warning("the desired state last fetched does not validate either; nothing is applied",
                               metadata: ["commit": "\(tip.short)", "first": "\(diagnostics.first.map(\.description) ?? "")"])
            }
        } catch {
            logger.warning("the desired state last fetched cannot be read", metadata: ["commit": "\(tip.short)", "error": "\(error)"])
        }
    }

    private func read(_ tip: ObjectID) async throws(GitError) -> SyncOutcome {
        let root = configuration.root
        let previousCommit = syncedCommit
        let previousRoot = syncedRoot
        let limits = configuration.limits
        let reading = try await mirror.withRepository { repository throws(GitError) -> TreeReading in
            var forcePushed = false
            if let previousCommit { forcePushed = try !repository.isDescendant(tip, of: previousCommit) }
            let tree = try repository.commit(tip).tree
            var approvalPaths: [String] = []
            if let approvalsTree = try repository.subtree(tree, at: Approvals.directory) {
                approvalPaths = try repository.files(in: approvalsTree).keys.sorted()
            }
            guard let rootTree = try repository.subtree(tree, at: root) else {
                return TreeReading(rootTree: nil, forcePushed: forcePushed, deleted: [], approvals: Approvals(paths: approvalPaths))
            }
            var changed: [String: ObjectID] = [:]
            var deleted: [String] = []
            if let previousRoot {
                if previousRoot != rootTree {
                    for change in try repository.changes(from: previousRoot, to: rootTree) where SourceFile.isManifest(change.path) {
                        if let blob = change.blob { changed[change.path] = blob } else { deleted.append(change.path) }
                    }
                }
            } else {
                for (path, blob) in try repository.files(in: rootTree) where SourceFile.isManifest(path) {
                    changed[path] = blob
                }
            }
            var decoded: [String: DecodedFile] = [:]
            for (path, blob) in changed {
                decoded[path] = try repository.decodeManifest(blob, path: SourceFile.path(path, under: root), limits: limits)
            }
            return TreeReading(rootTree: rootTree, forcePushed: forcePushed, deleted: deleted, decoded: decoded,
                               approvals: Approvals(paths: approvalPaths))
        }

        if reading.rootTree == nil, previousRoot != nil {
            // Git keeps no empty directories: the root existed at the last applied commit, so this commit removed its
            // last file. That is a deliberate removal of every model, not a misconfigured path.
            assembly = DesiredStateAssembly()
            syncedCommit = tip
            syncedRoot = nil
            let snapshot = DesiredSnapshot(commit: tip, decoding: assembly.decoding, parsedFiles: 0, fileCount: 0,
                                           approvals: reading.approvals)
            lastGood = snapshot
            logger.warning("the deployments directory is gone at this commit: every model it held is removed",
                           metadata: ["commit": "\(tip.short)", "root": "\(root)"])
            return .applied(snapshot, forcePushed: reading.forcePushed)
        }
        guard let rootTree = reading.rootTree else {
            let message = root.isEmpty ? "the commit has no files" : "the commit has no \(root)/ directory"
            let diagnostic = Diagnostic(file: root.isEmpty ? "." : root, mark: SourceMark(line: 1, column: 1), message: message,
                                        hint: "check the branch and the deployments path; nothing is applied from this commit")
            // The caller reports an invalid commit (the operator's loop, in one line with what stays in force).
            logger.debug("desired state not applied", metadata: ["commit": "\(tip.short)", "reason": "\(message)"])
            return .invalid(commit: tip, diagnostics: [diagnostic], lastGood: lastGood)
        }
        for path in reading.deleted {
            assembly.remove(path: SourceFile.path(path, under: root))
        }
        for decoded in reading.decoded.values {
            assembly.replace(decoded)
        }
        syncedCommit = tip
        syncedRoot = rootTree

        let decoding = assembly.decoding
        let snapshot = DesiredSnapshot(commit: tip, decoding: decoding, parsedFiles: reading.decoded.count, fileCount: assembly.fileCount,
                                       approvals: reading.approvals)
        if !reading.approvals.ignored.isEmpty {
            logger.warning("files under approvals/ that name no model version are ignored",
                           metadata: ["paths": "\(reading.approvals.ignored.joined(separator: ", "))",
                                      "expected": "approvals/<namespace>/<name>/<version>"])
        }
        if reading.forcePushed {
            logger.warning("the desired branch was force-pushed", metadata: ["branch": "\(configuration.branch)", "commit": "\(tip.short)"])
        }
        guard decoding.isValid else {
            logger.debug("desired state not applied: the commit does not validate",
                         metadata: ["commit": "\(tip.short)", "errors": "\(decoding.errors.count)",
                                    "first": "\(decoding.errors.first.map(\.description) ?? "")"])
            return .invalid(commit: tip, diagnostics: decoding.errors, lastGood: lastGood)
        }
        lastGood = snapshot
        logger.info("desired state applied", metadata: ["commit": "\(tip.short)", "deployments": "\(decoding.state.entries.count)",
                                                        "parsedFiles": "\(snapshot.parsedFiles)"])
        return .applied(snapshot, forcePushed: reading.forcePushed)
    }
}

/// What one read of a commit's deployments root found, built on the mirror's worker.
private struct TreeReading: Sendable {
    var rootTree: ObjectID?
    var forcePushed: Bool
    var deleted: [String]
    var decoded: [String: DecodedFile] = [:]
    var approvals = Approvals()
}

/// A wake-up that is never lost: `fire()` resumes the task waiting in `wait()`, or, when none waits, makes the next
/// `wait()` return at once. Cancelling a waiting task resumes it without leaving a wake-up behind.
final class WakeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func fire() {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            pending = true
            return nil
        }
        waiting?.resume()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = lock.withLock {
                    if pending || Task.isCancelled {
                        pending = false
                        return true
                    }
                    waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
                defer { waiter = nil }
                return waiter
            }
            waiting?.resume()
        }
    }
}
