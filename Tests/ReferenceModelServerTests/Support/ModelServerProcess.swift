import Foundation
import TestSupport

/// The built `serin-model-server` binary run as a child process, its stdout and stderr in files of a scratch
/// directory. `start` waits for the start line and reads the port from it (the server is started with `--port 0`,
/// so no two tests can race for a port); `stop()` (and deinit, as a safety net) ends and reaps it.
final class ModelServerProcess {
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("serin-model-server").path

    let child: ChildProcess
    let scratch: Scratch
    let startedAt: ContinuousClock.Instant
    private(set) var port = 0

    private init(child: ChildProcess, scratch: Scratch, startedAt: ContinuousClock.Instant) {
        self.child = child
        self.scratch = scratch
        self.startedAt = startedAt
    }

    var http: LoopbackHTTP { LoopbackHTTP(port: port) }
    var standardError: String { scratch.read("stderr.log") }
    var standardOutput: String { scratch.read("stdout.log") }

    /// Starts the server with `arguments` (plus `--port 0` unless a port is given) and waits until it has logged
    /// its start line. Throws, with its output, when it exits first or does not start within a minute.
    static func start(_ arguments: [String], in scratch: Scratch) throws -> ModelServerProcess {
        let withPort = arguments.contains("--port") ? arguments : arguments + ["--port", "0"]
        let server = try launch(withPort, in: scratch)
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let port = startLinePort(in: server.standardError) {
                server.port = port
                return server
            }
            if !server.child.isRunning {
                throw TestFailure("serin-model-server exited with \(server.child.exitCode ?? -1) before serving; "
                    + "stderr:\n\(server.standardError)")
            }
            if ContinuousClock.now > deadline {
                server.stop()
                throw TestFailure("serin-model-server did not log its start line within a minute; stderr:\n\(server.standardError)")
            }
            usleep(10_000)
        }
    }

    /// Runs the server expecting it to exit by itself (startup errors); returns its exit code and output.
    static func runToExit(_ arguments: [String], in scratch: Scratch) throws -> (status: Int32, stderr: String) {
        let server = try launch(arguments, in: scratch)
        defer { server.stop() }
        guard let status = server.exitCode(within: .seconds(60)) else {
            throw TestFailure("serin-model-server did not exit within a minute; stderr:\n\(server.standardError)")
        }
        return (status, server.standardError)
    }

    private static func launch(_ arguments: [String], in scratch: Scratch) throws -> ModelServerProcess {
        let output = try scratch.openForWriting("stdout.log")
        defer { close(output) }
        let errors = try scratch.openForWriting("stderr.log")
        defer { close(errors) }
        let startedAt = ContinuousClock.now
        let child = try ChildProcess.spawn(executable, arguments, environment: ProcessInfo.processInfo.environment,
                                           standardOutput: output, standardError: errors)
        return ModelServerProcess(child: child, scratch: scratch, startedAt: startedAt)
    }

    /// The port in "… on http://127.0.0.1:PORT …".
    static func startLinePort(in log: String) -> Int? {
        guard let range = log.range(of: "on http://127.0.0.1:") else { return nil }
        let digits = log[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    static func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// The exit code once the server has exited (128 + the signal when one ended it); nil if it still runs after
    /// `timeout`.
    func exitCode(within timeout: Duration) -> Int32? {
        child.waitForExit(until: .now + timeout) ? child.exitCode : nil
    }

    func signal(_ signal: Int32) {
        if child.isRunning { kill(child.processIdentifier, signal) }
    }

    /// Ends the server and anything it started, and reaps it. Safe to call more than once.
    func stop() {
        child.terminateTree(gracePeriod: .seconds(1))
    }

    deinit {
        stop()
    }
}
