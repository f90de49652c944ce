import Foundation
import SerinProcess
#if canImport(Glibc)
import Glibc
#endif

/// Runs a credential plugin to completion on a thread of its own (never Swift's cooperative pool), with a deadline
/// and bounded output. Started by `ProcessSpawner` in a process group of its own, so a timeout can stop the plugin
/// and anything it started.
enum PluginProcess {
    struct Outcome: Sendable {
        /// The exit status, or nil when the plugin was killed (deadline) or died by a signal.
        var exitStatus: Int32?
        var standardOutput: [UInt8]
        var standardError: [UInt8]
        var timedOut: Bool
    }

    struct LaunchFailure: Error, Sendable { var message: String }

    /// Runs `command` (looked up in PATH unless it contains a `/`) with `arguments`, the given environment, and stdin
    /// from /dev/null.
    static func run(_ command: String, _ arguments: [String], environment: [String: String], timeout: Duration,
                    outputLimit: Int = 1 << 20) async -> Result<Outcome, LaunchFailure> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: runBlocking(command, arguments, environment: environment, timeout: timeout,
                                                           outputLimit: outputLimit))
            }
            thread.name = "serin.kube.exec-plugin"
            thread.start()
        }
    }

    private static func runBlocking(_ command: String, _ arguments: [String], environment: [String: String],
                                    timeout: Duration, outputLimit: Int) -> Result<Outcome, LaunchFailure> {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { return .failure(LaunchFailure(message: "pipe: \(String(cString: strerror(errno)))")) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            return .failure(LaunchFailure(message: "pipe: \(String(cString: strerror(errno)))"))
        }
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(command, arguments, environment: environment, standardOutput: outPipe[1],
                                           standardError: errPipe[1], closing: [outPipe[0], errPipe[0]])
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            return .failure(LaunchFailure(message: error.description))
        }
        close(outPipe[1])
        close(errPipe[1])

        let deadline = ContinuousClock.now + timeout
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var open: [Int32: Bool] = [outPipe[0]: true, errPipe[0]: true]
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while open.values.contains(true) {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                timedOut = true
                break
            }
            var fds = open.filter(\.value).keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let waitMilliseconds = Int32(min(1_000, max(1, remaining.components.seconds * 1_000 + remaining.components.attoseconds / 1_000_000_000_000_000)))
            let ready = poll(&fds, nfds_t(fds.count), waitMilliseconds)
            if ready < 0 && errno != EINTR { break }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    open[entry.fd] = false
                } else if entry.fd == outPipe[0] {
                    if output.count < outputLimit { output += buffer[0..<min(count, outputLimit - output.count)] }
                } else if errors.count < 65_536 {
                    errors += buffer[0..<min(count, 65_536 - errors.count)]
                }
            }
        }
        close(outPipe[0])
        close(errPipe[0])
        if timedOut { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return .success(Outcome(exitStatus: exited && !timedOut ? (status >> 8) & 0xff : nil, standardOutput: output,
                                standardError: errors, timedOut: timedOut))
    }
}
