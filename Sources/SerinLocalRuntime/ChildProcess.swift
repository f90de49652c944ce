import Foundation
import SerinProcess
#if canImport(Glibc)
import Glibc
#endif

/// A model server process: started by `ProcessSpawner` in a process group of its own (so stopping it stops whatever
/// it started), with stdout and stderr into one pipe that a thread copies to the version's log. Reaped by a thread
/// that waits for it, so no zombie is left; `exitStatus` becomes non-nil once it is gone.
final class ChildProcess: @unchecked Sendable {
    struct SpawnFailure: Error, CustomStringConvertible {
        var description: String
        /// The command could not be started (rather than the pipe for its output made): set when the fault is in the
        /// command as written.
        var command: ProcessSpawner.Failure?
    }

    enum Exit: Sendable, Equatable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)

        var description: String {
            switch self {
            case .status(let code): "exited with status \(code)"
            case .signal(let signal): "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGTERM ? " (SIGTERM)" : "")"
            }
        }
    }

    let pid: pid_t
    private let lock = NSLock()
    private var exit: Exit?
    private let exited = DispatchSemaphore(value: 0)

    var exitStatus: Exit? { lock.withLock { exit } }

    /// Read as it starts, so that a later Serin can tell it from another process given the same pid.
    let identity: ProcessIdentity?

    private init(pid: pid_t) {
        self.pid = pid
        // The child exists until the reaper below waits for it, as a zombie at least, so /proc still has it.
        self.identity = ProcessIdentity.of(pid)
    }

    /// Starts `command` (found in the environment's PATH unless it contains a `/`) in `directory`; every line it
    /// prints goes to `log`. `onExit` runs on the reaper thread when the process is gone.
    static func spawn(_ command: String, _ arguments: [String], environment: [String: String], directory: String,
                      log: RotatingLogFile, onExit: @escaping @Sendable (Exit) -> Void) throws(SpawnFailure) -> ChildProcess {
        var output: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { throw SpawnFailure(description: "pipe: \(String(cString: strerror(errno)))") }
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(command, arguments, environment: environment, directory: directory,
                                           standardOutput: output[1], standardError: output[1], closing: [output[0]])
        } catch {
            close(output[0])
            close(output[1])
            throw SpawnFailure(description: error.description, command: error)
        }
        close(output[1])

        let child = ChildProcess(pid: pid)
        let childPID = pid
        let reader = output[0]
        let copier = Thread {
            var buffer = [UInt8](repeating: 0, count: 8_192)
            while true {
                let count = read(reader, &buffer, buffer.count)
                if count > 0 {
                    log.append(buffer[0..<count])
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(reader)
        }
        copier.name = "serin.local.log"
        copier.start()
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(childPID, &status, 0) < 0 && errno == EINTR {}
            let exit: Exit = status & 0x7f == 0 ? .status((status >> 8) & 0xff) : .signal(status & 0x7f)
            child.lock.withLock { child.exit = exit }
            child.exited.signal()
            onExit(exit)
        }
        reaper.name = "serin.local.reaper"
        reaper.start()
        return child
    }

    /// SIGTERM to the process group, then SIGKILL if it is still there after `grace`. Returns once it is reaped.
    func stop(grace: Duration) {
        Self.stop([self], grace: grace)
    }

    /// Stops `children` together: SIGTERM to every process group at once, then SIGKILL to those still there once
    /// `grace` has passed, so that stopping many servers takes one grace period rather than one each (a service
    /// manager's stop timeout would otherwise cut Serin's shutdown short). Returns once every one is reaped.
    static func stop(_ children: [ChildProcess], grace: Duration) {
        let running = children.filter { $0.exitStatus == nil }
        for child in running { kill(-child.pid, SIGTERM) }
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
        let deadline = DispatchTime.now() + seconds
        for child in running {
            if child.exited.wait(timeout: deadline) == .timedOut {
                kill(-child.pid, SIGKILL)
                child.exited.wait()
            }
            // Signalled again, so that a later wait on it passes too.
            child.exited.signal()
        }
    }

    /// Stops a process group left running by an earlier Serin (recorded in the state file), if it is still there.
    /// It is not our child, so it cannot be reaped here; its parent (init) does that.
    static func stopOrphan(processGroup: pid_t, grace: Duration) {
        guard processGroup > 1, kill(-processGroup, 0) == 0 else { return }
        kill(-processGroup, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if kill(-processGroup, 0) != 0 { return }
            usleep(50_000)
        }
        kill(-processGroup, SIGKILL)
    }

    /// A free TCP port on loopback, chosen by the kernel. Another process could take it before the model server
    /// binds it; the server then exits and is restarted on another port.
    static func freeLoopbackPort() -> Int? {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return nil }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
