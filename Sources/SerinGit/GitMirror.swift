import Crypto
import Foundation
import SerinCore

/// A bare mirror of one remote in a cache directory: the only place Serin's Git objects live. Desired state is read
/// straight from its object database (no work tree), and ledger commits are built in it before they are pushed.
///
/// All libgit2 work runs on the mirror's own worker thread, one call at a time.
public actor GitMirror {
    public nonisolated let remote: GitRemote
    public nonisolated let path: String
    private let worker: GitWorker
    private let repository: Confined<Repository?>

    /// Opens the mirror for `remote` under `cacheDirectory`, creating it on first use. Each remote URL gets its own
    /// directory, named by a hash of the URL so that credentials never appear in a path.
    public init(remote: GitRemote, cacheDirectory: String) async throws(GitError) {
        self.remote = remote
        let digest = SHA256.hash(data: Data(remote.url.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let path = (cacheDirectory as NSString).appendingPathComponent("mirror-\(digest).git")
        self.path = path
        let worker = GitWorker(label: digest)
        self.worker = worker
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw GitError(kind: .other, operation: "create the cache directory \(cacheDirectory)", message: "\(error)")
        }
        repository = try await worker.run { () throws(GitError) in Confined(Optional(try Repository.openOrCreateBare(at: path))) }
    }

    /// Runs `body` on the worker with the repository.
    func withRepository<T: Sendable>(_ body: @escaping @Sendable (Repository) throws(GitError) -> T) async throws(GitError) -> T {
        let repository = self.repository
        let path = self.path
        return try await worker.run { () throws(GitError) -> T in
            guard let value = repository.value else {
                throw GitError(kind: .other, operation: "use the mirror at \(path)", message: "the mirror could not be recreated")
            }
            return try body(value)
        }
    }

    /// Fetches `branch` into `refs/serin/fetched/<branch>` (force-updated, so a force-pushed branch is followed)
    /// and returns its commit. Cancelling the calling task aborts the transfer at its next progress report.
    public func fetch(branch: String) async throws(GitError) -> ObjectID {
        guard let tip = try await fetchIfPresent(branch: branch) else {
            throw GitError(kind: .notFound, operation: "fetch \(branch) from \(remote.displayURL)",
                           message: "the remote has no branch \(branch)")
        }
        return tip
    }

    /// Like `fetch(branch:)`, but nil when the remote has no such branch.
    public func fetchIfPresent(branch: String) async throws(GitError) -> ObjectID? {
        let remote = self.remote
        let context = remote.transportContext()
        let local = Self.fetchedReference(branch)
        let outcome: Result<ObjectID?, GitError> = await withTaskCancellationHandler {
            do throws(GitError) {
                return .success(try await withRepository { repository throws(GitError) -> ObjectID? in
                    try Self.checkLocalPath(remote.url, branch: branch)
                    let advertised = try repository.fetch(from: remote.url, refspecs: ["+refs/heads/\(branch):\(local)"], context: context)
                    guard advertised.contains("refs/heads/\(branch)") else {
                        try repository.deleteReference(local)
                        return nil
                    }
                    return try repository.resolve(local)
                })
            } catch {
                return .failure(error)
            }
        } onCancel: {
            context.cancelled = true
        }
        return try outcome.get()
    }

    /// Whether the mirror can still read `commit` and its tree. A mirror whose object files were damaged or deleted
    /// fails this, and is then rebuilt by `recreate()`.
    public func canRead(_ commit: ObjectID) async -> Bool {
        do throws(GitError) {
            return try await withRepository { repository throws(GitError) in
                let tree = try repository.commit(commit).tree
                _ = try repository.files(in: tree)
                return true
            }
        } catch {
            return false
        }
    }

    /// The tip of `branch` as the mirror last fetched it, without asking the remote; nil when it never fetched it.
    public func lastFetchedTip(of branch: String) async throws(GitError) -> ObjectID? {
        let reference = Self.fetchedReference(branch)
        return try await withRepository { repository throws(GitError) in try repository.resolve(reference) }
    }

    /// The newest commit of `branch` this mirror holds without asking the remote: its own local branch when that
    /// holds commits written here on top of the branch as last fetched (queued by a push that failed), else the
    /// branch as last fetched; nil when it has neither.
    public func newestLocalTip(of branch: String) async throws(GitError) -> ObjectID? {
        try await withRepository { repository throws(GitError) in
            let fetched = try repository.resolve(Self.fetchedReference(branch))
            guard let queued = try Self.queuedTip(of: branch, in: repository) else { return fetched }
            guard let fetched else { return queued }
            return try repository.isDescendant(queued, of: fetched) ? queued : fetched
        }
    }

    /// The tip of the local branch `branch` when it holds commits the branch as last fetched (or pushed) lacks:
    /// commits written here whose push has not gone through. Nil when there is no local branch or nothing is queued.
    public func queuedTip(of branch: String) async throws(GitError) -> ObjectID? {
        try await withRepository { repository throws(GitError) in try Self.queuedTip(of: branch, in: repository) }
    }

    private static func queuedTip(of branch: String, in repository: Repository) throws(GitError) -> ObjectID? {
        guard let local = try repository.resolve("refs/heads/\(branch)") else { return nil }
        guard let fetched = try repository.resolve(fetchedReference(branch)) else { return local }
        if local == fetched { return nil }
        return try repository.isDescendant(fetched, of: local) ? nil : local
    }

    /// Whether the mirror holds a fetched tip of `branch` that it can no longer read: its objects were deleted or
    /// damaged, possibly while Serin was stopped, so a fresh process has no synced commit to check instead.
    public func cannotReadFetchedTip(of branch: String) async -> Bool {
        let tip: ObjectID?
        do throws(GitError) {
            tip = try await lastFetchedTip(of: branch)
        } catch {
            return true
        }
        guard let tip else { return false }
        return await !canRead(tip)
    }

    /// Deletes the mirror and starts an empty one in its place; the next fetch downloads everything again.
    public func recreate() async throws(GitError) {
        let path = self.path
        let repository = self.repository
        try await worker.run { () throws(GitError) in
            repository.value = nil
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw GitError(kind: .other, operation: "remove the damaged mirror at \(path)", message: "\(error)")
            }
            repository.value = try Repository.openOrCreateBare(at: path)
        }
    }

    /// libgit2 reports a missing local repository as an "unsupported URL protocol": say what is really wrong.
    private static func checkLocalPath(_ url: String, branch: String) throws(GitError) {
        guard let path = RemoteURL.localPath(url) else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw GitError(kind: .notFound, operation: "fetch \(branch) from \(url)", message: "no repository at \(path)")
        }
    }

    /// Where a fetched branch's tip is kept in the mirror.
    public nonisolated static func fetchedReference(_ branch: String) -> String { "refs/serin/fetched/\(branch)" }

    /// Fetches every branch of the remote, for commands that name arbitrary revisions (`serin plan`).
    public func fetchAllBranches() async throws(GitError) {
        let remote = self.remote
        let context = remote.transportContext()
        try await withRepository { repository throws(GitError) in
            try Self.checkLocalPath(remote.url, branch: "all branches")
            try repository.fetch(from: remote.url, refspecs: ["+refs/heads/*:\(Self.fetchedReference("*"))"], context: context)
        }
    }

    /// Resolves a revision to a commit: a fetched branch (`main`, `main~1`), or a commit id.
    public func resolve(_ revision: String) async throws(GitError) -> ObjectID {
        try await withRepository { repository throws(GitError) in
            do throws(GitError) {
                return try repository.resolveRevision(Self.fetchedReference(revision))
            } catch {
                return try repository.resolveRevision(revision)
            }
        }
    }

    /// Decodes every manifest under `root` at `commit`: the whole desired state of one revision.
    public func desiredState(at commit: ObjectID, root: String, limits: YAMLLimits = .standard) async throws(GitError)
        -> DesiredStateDecoding {
        try await withRepository { repository throws(GitError) in
            let tree = try repository.commit(commit).tree
            guard let rootTree = try repository.subtree(tree, at: root) else {
                return DesiredState.assemble([DecodedFile(path: root, entries: [], diagnostics: [Diagnostic(
                    file: root.isEmpty ? "." : root, mark: SourceMark(line: 1, column: 1),
                    message: "commit \(commit.short) has no \(root)/ directory", hint: "check the revision and the deployments path")])])
            }
            var decoded: [DecodedFile] = []
            for (path, blob) in try repository.files(in: rootTree) where SourceFile.isManifest(path) {
                decoded.append(try repository.decodeManifest(blob, path: SourceFile.path(path, under: root), limits: limits))
            }
            return DesiredState.assemble(decoded)
        }
    }
}

extension Repository {
    /// Decodes the manifest in `blob`, reading no more than the size limit allows: a larger file is reported by its
    /// size, never loaded whole.
    func decodeManifest(_ blob: ObjectID, path: String, limits: YAMLLimits) throws(GitError) -> DecodedFile {
        let (size, bytes) = try self.blob(blob, limit: limits.maxFileBytes + 1)
        return DesiredState.decodeFile(SourceFile(path: path, contents: bytes, size: size), limits: limits)
    }
}

/// A value confined to one thread by convention: only a `GitWorker` closure touches it.
final class Confined<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
