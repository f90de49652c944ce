import Foundation
import SerinProcess
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started by Serin's own `ProcessSpawner` (empty signal mask, its own process group, stdin from
/// /dev/null, stdout and stderr on the given descriptors) and reaped with waitpid here alone: Foundation's `Process`
/// on Linux passes the calling thread's signal mask on, so SIGTERM would never reach the server.
final class ChildProcess: Sendable {
    let processIdentifier: pid_t
    private let waitStatus = Mutex<Int32?>(nil)

    private init(processIdentifier: pid_t) {
        self.processIdentifier = processIdentifier
    }

    static func spawn(_ executable: String, _ arguments: [String], standardOutput: Int32,
                      standardError: Int32) throws -> ChildProcess
    {
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(executable, arguments, environment: ProcessInfo.processInfo.environment,
                                           standardOutput: standardOutput, standardError: standardError)
        } catch {
            throw TestFailure(error.description)
        }
        return ChildProcess(processIdentifier: pid)
    }

    /// The raw wait status once the child has exited and been reaped, nil while it runs.
    private var terminationStatus: Int32? {
        waitStatus.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier {
                status = raw
            } else if result < 0 && errno == ECHILD {
                status = -1
            }
            return status
        }
    }

    var isRunning: Bool { terminationStatus == nil }

    /// The exit code, or 128 + the signal that ended it; nil while running.
    var exitCode: Int32? {
        guard let status = terminationStatus else { return nil }
        if status == -1 { return -1 }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Polls until the child exits or `timeout` passes; returns the exit code, nil on timeout.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var pause: UInt32 = 1_000
        while isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        return exitCode
    }

    func send(_ signal: Int32) {
        if isRunning { Glibc.kill(processIdentifier, signal) }
    }

    /// Ends the child's process group (SIGKILL) and reaps it. Safe to call more than once.
    func kill() {
        if isRunning {
            Glibc.kill(-processIdentifier, SIGKILL)
            _ = waitForExit(timeout: .seconds(10))
        }
    }
}
