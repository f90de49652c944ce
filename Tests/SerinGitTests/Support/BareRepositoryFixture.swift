import Foundation
import TestSupport

/// A bare repository on disk (served by a harness server), plus a scratch work tree to seed it with commits.
///
/// Commits use `GitCLI`'s fixed author, committer and date, so the same files and messages give the same commit IDs.
/// The work tree pushes to the bare repository through its path, not through the server.
struct BareRepositoryFixture: Sendable {
    /// The name without ".git".
    let name: String
    /// The bare repository, `<root>/<name>.git`.
    let path: URL
    /// The scratch work tree, whose `origin` is `path`.
    let workTree: URL
    /// The branch `commit` commits to and `push` pushes.
    let branch: String
    let git: GitCLI

    /// Creates `<root>/<name>.git` (bare, HEAD on `initialBranch`) and a work tree in `scratchDirectory`.
    static func create(
        named name: String,
        in root: URL,
        scratchDirectory: URL,
        git: GitCLI,
        initialBranch: String = "main"
    ) throws -> BareRepositoryFixture {
        try RepositoryName.validate(name)
        let path = root.appendingPathComponent("\(name).git", isDirectory: true)
        guard !FileManager.default.fileExists(atPath: path.path) else {
            throw HarnessError("a repository already exists at \(path.path)")
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try git.run(["init", "--quiet", "--bare", "--initial-branch=\(initialBranch)", path.path])
        // Pushes over smart HTTP are allowed by REMOTE_USER anyway; this keeps them allowed without authentication too.
        try git.run(["config", "http.receivepack", "true"], in: path)

        let workTree = scratchDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: scratchDirectory, withIntermediateDirectories: true)
        try git.run(["init", "--quiet", "--initial-branch=\(initialBranch)", workTree.path])
        try git.run(["remote", "add", "origin", path.path], in: workTree)
        return BareRepositoryFixture(name: name, path: path, workTree: workTree, branch: initialBranch, git: git)
    }

    /// Writes a file of the work tree (creating directories); it is staged by the next `commit`.
    func write(_ relativePath: String, _ contents: String) throws {
        let file = workTree.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
    }

    /// Removes a file of the work tree; the removal is staged by the next `commit`.
    func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(at: workTree.appendingPathComponent(relativePath))
    }

    /// Stages everything and commits (allowing an empty commit); returns the new commit ID.
    /// `date` overrides the fixed author and committer date (any format git accepts, e.g. "2025-02-01T00:00:00Z").
    @discardableResult
    func commit(_ message: String, date: String? = nil) throws -> String {
        var environment: [String: String] = [:]
        if let date {
            environment["GIT_AUTHOR_DATE"] = date
            environment["GIT_COMMITTER_DATE"] = date
        }
        try git.run(["add", "--all"], in: workTree)
        try git.run(["commit", "--quiet", "--allow-empty", "--no-verify", "-m", message], in: workTree, environment: environment)
        return try git.line(["rev-parse", "HEAD"], in: workTree)
    }

    /// Pushes the work tree's branch to the bare repository (`force` for rewritten history).
    func push(force: Bool = false) throws {
        try git.run(["push", "--quiet"] + (force ? ["--force"] : []) + ["origin", "HEAD:refs/heads/\(branch)"], in: workTree)
    }

    /// Writes the files, commits and pushes; returns the new commit ID.
    @discardableResult
    func commitAndPush(_ files: [String: String], message: String, date: String? = nil) throws -> String {
        for (relativePath, contents) in files.sorted(by: { $0.key < $1.key }) {
            try write(relativePath, contents)
        }
        let commit = try commit(message, date: date)
        try push()
        return commit
    }

    /// The commit ID a ref (e.g. "main", "refs/tags/v1") points to in the bare repository.
    func resolve(_ ref: String) throws -> String {
        try git.line(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"], in: path)
    }

    /// Runs git in the bare repository.
    @discardableResult
    func runInBareRepository(_ arguments: [String]) throws -> String {
        try git.run(arguments, in: path)
    }

    /// Runs git in the work tree.
    @discardableResult
    func runInWorkTree(_ arguments: [String]) throws -> String {
        try git.run(arguments, in: workTree)
    }
}
