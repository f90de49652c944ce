import Foundation
import TestSupport

/// `git daemon` on 127.0.0.1, serving every bare repository in its `repositoriesRoot` over git://,
/// pushes included (`--export-all --enable=receive-pack --base-path=<root> --reuseaddr`), without authentication.
///
///     let server = try await GitDaemonServer.start()
///     defer { server.stop() }
///     let repository = try server.makeBareRepository(named: "models")
///     try repository.commitAndPush(["a.yaml": "..."], message: "Add a")
///     // clone server.url(forRepository: "models")  ==  git://127.0.0.1:PORT/models.git
final class GitDaemonServer: GitServer {

    let port: UInt16
    let repositoriesRoot: URL
    let git: GitCLI
    private let directory: TemporaryDirectory
    private let process: ServerProcess

    private init(port: UInt16, repositoriesRoot: URL, git: GitCLI, directory: TemporaryDirectory, process: ServerProcess) {
        self.port = port
        self.repositoriesRoot = repositoriesRoot
        self.git = git
        self.directory = directory
        self.process = process
    }

    /// Starts the daemon on a free loopback port and returns once it accepts connections.
    static func start() async throws -> GitDaemonServer {
        let directory = try TemporaryDirectory(prefix: "serin-git-daemon")
        let repositoriesRoot = try directory.subdirectory("repos")
        let home = try directory.subdirectory("home")
        let git = GitCLI(homeDirectory: home)
        var environment = Command.plainEnvironment(home: home)
        environment["GIT_CONFIG_NOSYSTEM"] = "1"

        let (port, process) = try await GitDaemon.start(
            basePath: repositoriesRoot, environment: environment,
            logFile: directory.url.appendingPathComponent("git-daemon.log"), verbose: true)
        return GitDaemonServer(port: port, repositoriesRoot: repositoriesRoot, git: git, directory: directory, process: process)
    }

    var temporaryDirectory: URL { directory.url }
    var processIdentifier: pid_t { process.processIdentifier }
    var log: String { process.log }

    func url(forRepository name: String) -> String {
        "git://\(LoopbackPort.host):\(port)/\(name).git"
    }

    func stop() {
        process.stop()
        directory.remove()
    }

    deinit {
        stop()
    }
}
