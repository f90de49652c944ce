import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a credential plugin to completion on a thread of its own (never Swift's cooperative pool), with a deadline
/// and bounded output. posix_spawn rather than Foundation's `Process`: the child gets an empty signal mask and a
/// process group of its own, so a timeout can stop the plugin and anything it started, and no descriptor of ours
/// leaks into it.
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
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in [outPipe[0], outPipe[1], errPipe[0], errPipe[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        // No other descriptor of ours (API connections, Git packs) reaches the plugin.
        if let addCloseFrom = closeFrom { _ = addCloseFrom(&actions, 3) }

        let argv = ([command] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var spawned: Int32
        if let executable = locate(command, path: environment["PATH"]) {
            // ETXTBSY: another thread's child still holds the file open for writing from before its exec (a plugin
            // just installed or rewritten); it clears within moments.
            var attempt = 0
            repeat {
                spawned = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], envp + [nil])
                attempt += 1
                if spawned == ETXTBSY { usleep(20_000) }
            } while spawned == ETXTBSY && attempt < 50
        } else {
            spawned = ENOENT
        }
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            return .failure(LaunchFailure(message: "cannot start \(command): \(String(cString: strerror(spawned)))"))
        }

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

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc 2.34's posix_spawn_file_actions_addclosefrom_np, looked up at run time so older C libraries still work.
    private static let closeFrom: AddCloseFrom? = {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(address, to: AddCloseFrom.self)
    }()

    /// The executable a command names: itself when it contains a `/`, else the first executable file of that name in
    /// `path` (the plugin's PATH), as a shell would find it. Resolved here rather than by posix_spawnp, which would
    /// search this process's PATH instead.
    static func locate(_ command: String, path: String?) -> String? {
        if command.contains("/") { return command }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
