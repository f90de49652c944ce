import Foundation

/// A process told apart from any other that has, or had, the same pid: the kernel reuses pids, so a pid recorded
/// in `processes.json` names Serin's model server only while that server lives. After it ends (or the machine
/// restarts) the same number can belong to anything, such as the user's shell.
///
/// Linux gives each boot an id (`/proc/sys/kernel/random/boot_id`) and each process its start time in clock ticks
/// since boot (`/proc/<pid>/stat`, field 22); together they name one process for good.
struct ProcessIdentity: Hashable, Sendable {
    var bootID: String
    var startTime: UInt64

    /// The identity of the running process `pid` (a zombie not yet reaped included), or nil when there is none.
    static func of(_ pid: pid_t) -> ProcessIdentity? {
        guard let bootID = currentBootID(),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let startTime = startTime(fromStat: stat) else { return nil }
        return ProcessIdentity(bootID: bootID, startTime: startTime)
    }

    static func currentBootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Field 22 of a `/proc/<pid>/stat` line. The second field, the command name in parentheses, may itself hold
    /// spaces and parentheses, so fields are counted from the last `)`.
    static func startTime(fromStat stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (the state), so field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// What to do about a process group an earlier Serin recorded as its server, given the identity it recorded
    /// (nil in a state file written before identities were) and what runs under that pid now.
    enum Leftover: Equatable {
        /// It is still the server, or its leader is gone and the group's pid cannot have been reused yet (Linux does
        /// not hand out a pid while a process group of that number exists): stop the group.
        case stop
        /// The machine restarted since: everything the earlier Serin started is gone, and the pid is someone else's.
        case goneWithReboot
        /// The pid now belongs to another process: leave it alone.
        case reused
    }

    static func judge(recorded: ProcessIdentity?, bootID: String?, running: ProcessIdentity?) -> Leftover {
        guard let recorded else { return .stop }
        if let bootID, bootID != recorded.bootID { return .goneWithReboot }
        if let running, running != recorded { return .reused }
        return .stop
    }
}
