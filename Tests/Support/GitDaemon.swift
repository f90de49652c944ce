import Foundation

/// `git daemon` on 127.0.0.1 serving every bare repository under `basePath` over git://, pushes included
/// (`--export-all --enable=receive-pack --reuseaddr`), without authentication: the one way the tests start it, for
/// `GitDaemonServer` (SerinGitTests) and the Kubernetes scenarios' deployments repository (SerinCLITests).
public enum GitDaemon {
    public static let executable = "/usr/lib/git-core/git-daemon"

    /// Starts the daemon on a free loopback port and returns once it accepts connections. `verbose` logs every
    /// request to `logFile`, for harness tests that read what the daemon did.
    public static func start(basePath: URL, environment: [String: String], logFile: URL, verbose: Bool = false)
        async throws -> (port: UInt16, process: ServerProcess)
    {
        try await ServerProcess.startListening(name: "git daemon") { port in
            try ServerProcess.launch(
                name: "git daemon",
                executable: executable,
                arguments: [
                    "--listen=\(LoopbackPort.host)",
                    "--port=\(port)",
                    "--export-all",
                    "--enable=receive-pack",
                    "--base-path=\(basePath.path)",
                    "--reuseaddr",
                    "--informative-errors",
                ] + (verbose ? ["--verbose", "--log-destination=stderr"] : []),
                environment: environment,
                logFile: logFile
            )
        }
    }
}
