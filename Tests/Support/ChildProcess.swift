import Foundation
import SerinProcess
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started by SerinProcess's `ProcessSpawner` and reaped with waitpid by this object alone.
///
/// Why not Foundation's `Process` (which the harness used at first): on Linux it
/// - starts children with the signal mask of the calling thread, and Swift concurrency's worker threads block
///   almost every signal, so git daemon and lighttpd ignored SIGTERM
///   (swiftlang/swift-corelibs-foundation#4772);
/// - detects a child's exit through a socket the child inherits (swiftlang/swift-corelibs-foundation#4795 shows
///   how that misleads it). sshd closes every inherited descriptor at start-up, so Foundation took it for dead
///   and blocked its one monitor thread in waitpid on the running sshd: every other `Process` of the test run
///   then hung.
///
/// Here the child gets an empty signal mask and default signal handlers, a process group of its own (its pid),
/// stdin from /dev/null, stdout and stderr on the given descriptors, and no other inherited descriptor.
public final class ChildProcess: Sendable {
    public let processIdentifier: pid_t
    public let executable: String
    private let exitStatus = Mutex<Int32?>(nil)

    private init(processIdentifier: pid_t, executable: String) {
        self.processIdentifier = processIdentifier
        self.executable = executable
    }

    /// Starts `executable` (an absolute path) with exactly these arguments and environment.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: URL? = nil,
        standardOutput: Int32,
        standardError: Int32
    ) throws -> ChildProcess {
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(executable, arguments, environment: environment, directory: directory?.path,
                                           standardOutput: standardOutput, standardError: standardError)
        } catch {
            throw HarnessError(error.description)
        }
        return ChildProcess(processIdentifier: pid, executable: executable)
    }

    /// The wait status once the child has exited (and been reaped here), nil while it runs.
    public var terminationStatus: Int32? {
        exitStatus.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier {
                status = raw
            } else if result < 0 && errno == ECHILD {
                // Reaped by someone else: it has exited, with an unknown status.
                status = -1
            }
            return status
        }
    }

    public var isRunning: Bool { terminationStatus == nil }

    /// The exit code, or 128 + the signal number when a signal ended it (as a shell reports it); nil while running.
    public var exitCode: Int32? {
        guard let status = terminationStatus else { return nil }
        if status == -1 { return -1 }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Polls until the child has exited or the deadline passes; returns whether it has exited.
    @discardableResult
    public func waitForExit(until deadline: ContinuousClock.Instant) -> Bool {
        var pause: UInt32 = 1_000
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        return true
    }

    /// Ends the child and everything it started. Descendants go first, deepest first and one level at a time,
    /// so that each parent is alive to reap its children (init does not reap orphans in every container, and
    /// zombies would stay); each gets SIGTERM, then SIGKILL after `gracePeriod`. Then the child itself: SIGTERM,
    /// and SIGKILL to its process group if it is still there after `gracePeriod`. Returns once the child is reaped.
    public func terminateTree(gracePeriod: Duration = .seconds(3)) {
        for _ in 0..<64 {
            guard let deepest = ProcessTree.descendantsWithDepth(of: processIdentifier).first?.depth else { break }
            let level = ProcessTree.descendantsWithDepth(of: processIdentifier).filter { $0.depth == deepest }.map(\.pid)
            for signal in [SIGTERM, SIGKILL] {
                for pid in level { kill(pid, signal) }
                if Self.waitUntil(.now + gracePeriod, { level.allSatisfy { !ProcessTree.exists($0) } }) { break }
            }
        }
        if isRunning {
            kill(processIdentifier, SIGTERM)
            if !waitForExit(until: .now + gracePeriod) {
                kill(-processIdentifier, SIGKILL)
                waitForExit(until: .now + .seconds(10))
            }
        }
        // Anything left in the group (a child that escaped the tree walk) goes too.
        if !ProcessTree.members(ofProcessGroup: processIdentifier).isEmpty {
            kill(-processIdentifier, SIGKILL)
        }
    }

    /// Polls `condition` until it holds or the deadline passes; returns whether it held.
    @discardableResult
    public static func waitUntil(_ deadline: ContinuousClock.Instant, _ condition: () -> Bool) -> Bool {
        var pause: UInt32 = 1_000
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        return true
    }
}
