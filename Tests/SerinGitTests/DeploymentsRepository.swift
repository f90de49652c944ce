import Foundation
import Logging
import SerinGit
import TestSupport

/// A bare "remote" repository of desired state with a work tree to change it through the git CLI, as a user merging
/// pull requests would, reached by path: a `BareRepositoryFixture` with no server in front of it.
final class DeploymentsRepository: Sendable {
    let directory: TemporaryDirectory
    let fixture: BareRepositoryFixture

    var git: GitCLI { fixture.git }
    /// The bare repository Serin fetches from and pushes to.
    var bare: URL { fixture.path }
    /// A clone where tests edit files and push.
    var workTree: URL { fixture.workTree }

    init(branch: String = "main") throws {
        directory = try TemporaryDirectory(prefix: "serin-deployments")
        fixture = try BareRepositoryFixture.create(
            named: "remote", in: directory.url, scratchDirectory: directory.url.appendingPathComponent("work"),
            git: GitCLI(homeDirectory: try directory.subdirectory("home")), initialBranch: branch)
    }

    /// A mirror of this repository in its own cache directory `cache` (one per independent reader or writer).
    func mirror(_ cache: String = "cache") async throws -> GitMirror {
        try await GitMirror(remote: GitRemote(url: bare.path), cacheDirectory: directory.url.appendingPathComponent(cache).path)
    }

    /// Tests read outcomes, not logs.
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

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
        try fixture.write(path, text)
    }

    func remove(_ path: String) throws {
        try fixture.remove(path)
    }

    /// Commits everything in the work tree and pushes it to `branch`; returns the new commit.
    @discardableResult
    func commitAndPush(_ message: String, branch: String = "main", force: Bool = false) throws -> String {
        let commit = try fixture.commit(message)
        try git.run(["push", "--quiet"] + (force ? ["--force"] : []) + ["origin", "HEAD:refs/heads/\(branch)"], in: workTree)
        return commit
    }
}
