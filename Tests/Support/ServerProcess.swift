import Foundation
import Synchronization

/// One long-running server process (here: prometheus), a `ChildProcess` leading its own process
/// group, its stdout and stderr appended to a log file.
///
/// `stop()` ends the server and everything it forked: it gives the server's children (serving a client that has
/// just finished) a moment to exit by themselves, then terminates what is left deepest first, so that no zombie
/// is left to an init that does not reap, then the server (SIGTERM, SIGKILL if needed). `deinit` calls `stop()`
/// as a safety net.
public final class ServerProcess: Sendable {
    public let name: String
    public let logFile: URL
    public let processIdentifier: pid_t
    private let child: Mutex<ChildProcess?>

    private init(name: String, logFile: URL, child: ChildProcess) {
        self.name = name
        self.logFile = logFile
        self.processIdentifier = child.processIdentifier
        self.child = Mutex(child)
    }

    /// Starts the server; it has not necessarily started listening yet (see `waitUntilAccepting`).
    public static func launch(
        name: String,
        executable: String,
        arguments: [String],
        environment: [String: String],
        logFile: URL
    ) throws -> ServerProcess {
        let log = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else {
            throw HarnessError("\(name): cannot open the log file \(logFile.path): \(String(cString: strerror(errno)))")
        }
        defer { close(log) }
        let child = try ChildProcess.spawn(
            executable, arguments, environment: environment, standardOutput: log, standardError: log)
        return ServerProcess(name: name, logFile: logFile, child: child)
    }

    /// What the server wrote to stdout and stderr so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    public var isRunning: Bool {
        child.withLock { $0?.isRunning ?? false }
    }

    public enum Readiness {
        case accepting
        /// The server exited before accepting connections; the log says why.
        case exited(log: String)
    }

    /// Polls until 127.0.0.1:port accepts a TCP connection while the server runs.
    /// Throws (with the server's log) when the timeout passes first.
    public func waitUntilAccepting(port: UInt16, timeout: Duration = .seconds(10)) async throws -> Readiness {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard isRunning else {
                return .exited(log: log)
            }
            if LoopbackPort.isAccepting(port) {
                return .accepting
            }
            guard ContinuousClock.now < deadline else {
                let lastWords = log
                stop()
                throw HarnessError(
                    "\(name) did not accept connections on \(LoopbackPort.host):\(port) within \(timeout); its log:\n\(lastWords)"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the server and everything it started. Blocks for a few seconds at most; safe to call more than once.
    public func stop() {
        guard let child = self.child.withLock({ $0.take() }) else { return }
        if child.isRunning {
            // Children still serving a client that has just finished exit by themselves within moments.
            ChildProcess.waitUntil(.now + .seconds(1)) { ProcessTree.descendants(of: child.processIdentifier).isEmpty }
        }
        child.terminateTree(gracePeriod: .seconds(3))
    }

    deinit {
        stop()
    }
}

extension ServerProcess {
    /// What servers print when their port was taken between `LoopbackPort.reserve()` and their own bind.
    public static let portTakenMarkers = [
        "Address already in use",
        "address already in use",
        // serin-model-server: "127.0.0.1:N is already in use: …".
        "is already in use",
        "unable to allocate any listen sockets",
        "Cannot bind any address",
    ]

    /// Reserves a port, starts the server on it and waits until it accepts connections; when the server exits
    /// because the port was taken meanwhile, tries again with another port. Throws with the server's log otherwise.
    public static func startListening(
        name: String,
        attempts: Int = 5,
        timeout: Duration = .seconds(10),
        launch: (UInt16) throws -> ServerProcess
    ) async throws -> (port: UInt16, process: ServerProcess) {
        var lastLog = ""
        for _ in 0..<attempts {
            let port = try LoopbackPort.reserve()
            let server = try launch(port)
            switch try await server.waitUntilAccepting(port: port, timeout: timeout) {
            case .accepting:
                return (port, server)
            case .exited(let log):
                server.stop()
                lastLog = log
                guard portTakenMarkers.contains(where: { log.contains($0) }) else {
                    throw HarnessError("\(name) exited before accepting connections on \(LoopbackPort.host):\(port); its log:\n\(log)")
                }
            }
        }
        throw HarnessError("\(name) found no free port in \(attempts) attempts; its last log:\n\(lastLog)")
    }
}
