import Foundation

/// The processes of this machine as /proc shows them, to find what a server process has forked
/// (sshd's per-connection children start their own session, so a process group does not hold them all).
public enum ProcessTree {
    public struct Entry: Sendable {
        var pid: pid_t
        var parent: pid_t
        var processGroup: pid_t
        var state: Character
    }

    /// Every process now, keyed by pid.
    public static func snapshot() -> [pid_t: Entry] {
        var entries: [pid_t: Entry] = [:]
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return entries }
        for name in names {
            guard let pid = pid_t(name), let entry = entry(pid) else { continue }
            entries[pid] = entry
        }
        return entries
    }

    /// One process, or nil when it no longer exists.
    public static func entry(_ pid: pid_t) -> Entry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count >= 3, let state = fields[0].first, let parent = pid_t(fields[1]), let group = pid_t(fields[2])
        else { return nil }
        return Entry(pid: pid, parent: parent, processGroup: group, state: state)
    }

    /// The descendants of `root` (not `root` itself) with their depth below it (children have depth 1),
    /// deepest first.
    public static func descendantsWithDepth(of root: pid_t) -> [(pid: pid_t, depth: Int)] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in snapshot().values {
            children[entry.parent, default: []].append(entry.pid)
        }
        var found: [(pid: pid_t, depth: Int)] = []
        var queue: [(pid: pid_t, depth: Int)] = [(root, 0)]
        while let (pid, depth) = queue.popLast() {
            for child in children[pid] ?? [] {
                found.append((child, depth + 1))
                queue.append((child, depth + 1))
            }
        }
        return found.sorted { $0.depth > $1.depth }
    }

    /// The descendants of `root` (not `root` itself), deepest first.
    public static func descendants(of root: pid_t) -> [pid_t] {
        descendantsWithDepth(of: root).map(\.pid)
    }

    /// Processes (zombies included) whose process group is `group`.
    public static func members(ofProcessGroup group: pid_t) -> [pid_t] {
        snapshot().values.filter { $0.processGroup == group }.map(\.pid).sorted()
    }

    /// Whether the pid names a process, a zombie included.
    public static func exists(_ pid: pid_t) -> Bool {
        entry(pid) != nil
    }
}
