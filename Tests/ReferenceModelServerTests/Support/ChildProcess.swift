import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid here alone, as SerinGitTests' helper does and
/// for the same reasons: Foundation's `Process` on Linux passes the calling thread's signal mask on (Swift
/// concurrency's threads block most signals, so SIGTERM would never reach the server) and detects exits unreliably.
/// The child gets an empty signal mask, default signal handlers, its own process group, stdin from /dev/null and
/// stdout and stderr on the given descriptors.
final class ChildProcess: Sendable {
    let processIdentifier: pid_t
    private let waitStatus = Mutex<Int32?>(nil)

    private init(processIdentifier: pid_t) {
        self.processIdentifier = processIdentifier
    }

    static func spawn(_ executable: String, _ arguments: [String], standardOutput: Int32,
                      standardError: Int32) throws -> ChildProcess
    {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)
        if let addCloseFrom = closeFrom {
            _ = addCloseFrom(&actions, 3)
        }

        let argv = ([executable] + arguments).map { strdup($0) }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            environment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], environment + [nil])
        guard result == 0 else {
            throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))")
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

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's posix_spawn_file_actions_addclosefrom_np, which the Glibc module does not import: other tests'
    /// pipes and sockets stay out of the child.
    private static let closeFrom: AddCloseFrom? = {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(address, to: AddCloseFrom.self)
    }()
}
