import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Every posix_spawn call of Serin lives in this file: credential plugins (SerinKube) and model servers (the local
// runtime) start the same way.

/// Starts child processes with posix_spawn rather than Foundation's `Process`, which on Linux starts children with
/// the calling thread's signal mask (Swift's worker threads block most signals, so the child would ignore SIGTERM) and
/// watches for exit through an inherited descriptor.
///
/// A child gets: an empty signal mask and default handlers; a process group of its own, whose id is its pid, so
/// stopping the group stops whatever it started; stdin from /dev/null; stdout and stderr on the given descriptors;
/// no other descriptor of Serin's (API connections, Git packs).
public enum ProcessSpawner {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// The command names no executable file, so starting it again cannot succeed until it is installed or
        /// named differently.
        public var isCommandNotFound = false
    }

    /// Starts `command` (found in `environment["PATH"]` unless it contains a `/`) with exactly these arguments and
    /// environment, in `directory` when given. The caller closes its copies of `standardOutput` and `standardError`
    /// and reaps the child.
    public static func spawn(_ command: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
                             standardOutput: Int32, standardError: Int32, closing extra: [Int32] = []) throws(Failure) -> pid_t {
        guard let executable = locate(command, path: environment["PATH"]) else {
            throw Failure(description: "command not found: \(notFoundReason(command, path: environment["PATH"]))",
                          isCommandNotFound: true)
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
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)
        for descriptor in Set(extra + [standardOutput, standardError]) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        if let closeFrom { _ = closeFrom(&actions, 3) }
        if let directory {
            // A process started in the wrong directory would read the wrong files: refuse rather than carry on.
            guard let changeDirectory else {
                throw Failure(description: "this C library has no posix_spawn_file_actions_addchdir_np, so \(command) cannot be started in \(directory)")
            }
            let added = directory.withCString { changeDirectory(&actions, $0) }
            guard added == 0 else {
                throw Failure(description: "cannot start \(command) in \(directory): \(String(cString: strerror(added)))")
            }
        }

        let argv = ([command] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var result: Int32
        var attempt = 0
        // ETXTBSY: another thread's child still holds the file open for writing from before its exec (a program
        // just installed or rewritten); it clears within moments.
        repeat {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], envp + [nil])
            attempt += 1
            if result == ETXTBSY { usleep(20_000) }
        } while result == ETXTBSY && attempt < 50
        guard result == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// The executable a command names: itself when it contains a `/` (if executable), else the first executable file
    /// of that name in `path`, as a shell would find it. Resolved here rather than by posix_spawnp, which would search
    /// this process's PATH instead of the child's.
    public static func locate(_ command: String, path: String?) -> String? {
        if command.contains("/") { return access(command, X_OK) == 0 ? command : nil }
        for directory in searchDirectories(path) {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// The directories `locate` searches for a command name, in order: those of `path` (a default when there is
    /// none), each once.
    public static func searchDirectories(_ path: String?) -> [String] {
        var seen = Set<String>()
        return (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: true)
            .map(String.init).filter { seen.insert($0).inserted }
    }

    /// Why `locate` found nothing: a path is checked as it is, a name is searched for in the directories it was.
    private static func notFoundReason(_ command: String, path: String?) -> String {
        guard command.contains("/") else {
            return "\(command) (searched PATH=\(searchDirectories(path).joined(separator: ":")))"
        }
        var status = stat()
        guard stat(command, &status) == 0 else { return "\(command) does not exist" }
        return (status.st_mode & S_IFMT) == S_IFDIR ? "\(command) is a directory" : "\(command) is not executable"
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc 2.34's posix_spawn extensions, looked up at run time so older C libraries still work.
    private static let closeFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    private static let changeDirectory: AddChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}
