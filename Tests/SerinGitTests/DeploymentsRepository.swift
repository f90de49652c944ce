import Foundation

/// A bare "remote" repository of desired state, with a work tree to change it through the git CLI, as a user
/// merging pull requests would. The remote is reached by path, or through any server serving `bare`.
final class DeploymentsRepository: Sendable {
    let directory: TemporaryDirectory
    let git: GitCLI
    /// The bare repository Serin fetches from and pushes to.
    let bare: URL
    /// A clone where tests edit files and push.
    let workTree: URL

    init(branch: String = "main") throws {
        directory = try TemporaryDirectory(prefix: "serin-deployments")
        git = GitCLI(homeDirectory: try directory.subdirectory("home"))
        bare = directory.url.appendingPathComponent("remote.git")
        workTree = directory.url.appendingPathComponent("work")
        try git.run(["init", "--bare", "--initial-branch", branch, bare.path])
        try git.run(["init", "--initial-branch", branch, workTree.path])
        try git.run(["remote", "add", "origin", bare.path], in: workTree)
    }

    static func deployment(_ name: String, version: String = "1", namespace: String = "ml") -> String {
        """
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: \(name), namespace: \(namespace)}
        spec:
          model: {version: "\(version)", uri: s3://models/\(name)/\(version)}
          runtime: {image: seldonio/mlserver:1.7.1}

        """
    }

    func write(_ path: String, _ text: String) throws {
        let url = workTree.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func remove(_ path: String) throws {
        try FileManager.default.removeItem(at: workTree.appendingPathComponent(path))
    }

    /// Commits everything in the work tree and pushes it; returns the new commit.
    @discardableResult
    func commitAndPush(_ message: String, branch: String = "main", force: Bool = false) throws -> String {
        try git.run(["add", "-A"], in: workTree)
        try git.run(["commit", "--quiet", "--allow-empty", "-m", message], in: workTree)
        try git.run(["push", "--quiet"] + (force ? ["--force"] : []) + ["origin", "HEAD:refs/heads/\(branch)"], in: workTree)
        return try git.line(["rev-parse", "HEAD"], in: workTree)
    }
}
