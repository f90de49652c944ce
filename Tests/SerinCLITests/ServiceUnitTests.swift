import Foundation
import SerinHTTP
import Testing
import TestSupport

/// systemd/serin.service, the unit that runs Serin on one machine as a service. No systemd runs on the test machines,
/// so systemd's own tool checks the unit offline, and the unit's command runs as systemd would start it: with the
/// unit's environment, its directories expanded, and a notification socket that plays the service manager's part.
@Suite("systemd service unit")
struct ServiceUnitTests {
    static let unitFile = ValidateCommandTests.repositoryRoot.appendingPathComponent("systemd/serin.service")

    /// The unit with its `serin` path pointing at the built binary: systemd-analyze checks that the command exists.
    static func unitForTheBuiltBinary(in directory: URL) throws -> URL {
        let text = try String(contentsOf: unitFile, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/serin", with: ValidateCommandTests.executable.path)
        let unit = directory.appendingPathComponent("serin.service")
        try Data(text.utf8).write(to: unit)
        return unit
    }

    /// The unit's command as systemd runs it, with the built binary in place of the installed one.
    static func command(of unit: ServiceUnit, stateDirectory: URL) -> [String] {
        [ValidateCommandTests.executable.path] + unit.command(stateDirectory: stateDirectory.path).dropFirst()
    }

    /// What systemd puts in the command's environment: the unit's own settings, then /etc/serin/serin.env's (here,
    /// this test's repository and free ports), then what systemd adds itself (`added`).
    static func environment(of unit: ServiceUnit, for repository: PlanAndHistoryCommandTests.Repository,
                            adding added: [String: String] = [:]) -> [String: String] {
        let settings = ["SERIN_REPO": repository.path, "SERIN_ROUTER_LISTEN": "127.0.0.1:0", "SERIN_LISTEN": "127.0.0.1:0",
                        "SERIN_INTERVAL": "1h", "SERIN_ROUTER_THREADS": "1", "HOME": repository.root.path,
                        "PATH": "\(ValidateCommandTests.executable.deletingLastPathComponent().path):/usr/bin:/bin"]
        return unit.environment(cacheRoot: repository.root.appendingPathComponent("cache").path)
            .merging(settings) { _, setting in setting }
            .merging(added) { _, new in new }
    }

    /// The unit's command started as systemd starts it, reporting to `notifications`, with what systemd adds to
    /// its environment besides the socket (`added`: the watchdog's settings, say).
    static func startUnitCommand(_ unit: ServiceUnit, for repository: PlanAndHistoryCommandTests.Repository,
                                 notifications: NotificationSocket, adding added: [String: String] = [:],
                                 stopSignal: Int32 = SIGTERM) throws -> LoggedProcess {
        let command = Self.command(of: unit, stateDirectory: repository.root.appendingPathComponent("state"))
        return try LoggedProcess(URL(fileURLWithPath: command[0]), arguments: Array(command.dropFirst()),
                                 environment: Self.environment(of: unit, for: repository,
                                                               adding: added.merging(["NOTIFY_SOCKET": notifications.path]) { $1 }),
                                 log: repository.root.appendingPathComponent("serin.log"), stopSignal: stopSignal)
    }

    static func systemdAnalyze(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ClusterInstall.run("/usr/bin/systemd-analyze", arguments)
    }

    @Test func systemdFindsNothingWrongWithTheUnit() throws {
        let directory = try TemporaryDirectory(prefix: "serin-unit")
        let unit = try Self.unitForTheBuiltBinary(in: directory.url)
        // An unknown or misspelt setting is only a warning to systemd, which then ignores it: any output is a problem.
        let (status, output) = try Self.systemdAnalyze(["verify", unit.path])
        #expect(status == 0)
        #expect(output.isEmpty, "\(output)")
    }

    /// systemd rates a unit's exposure from 0 (locked down) to 10 (none of its protections); this unit rates 1.9.
    /// Dropping its user of its own, its system call filter or its empty capability set each push it past 2.
    @Test func theUnitKeepsSerinLockedDownBySystemdsOwnMeasure() throws {
        let directory = try TemporaryDirectory(prefix: "serin-unit")
        let unit = try Self.unitForTheBuiltBinary(in: directory.url)
        // The threshold is in tenths of the printed level.
        let (status, output) = try Self.systemdAnalyze(["security", "--offline=yes", "--threshold=20", unit.path])
        #expect(status == 0, "\(output.split(separator: "\n").filter { $0.contains("✗") || $0.contains("exposure") }.joined(separator: "\n"))")
        #expect(output.contains("Overall exposure level for serin.service"), "\(output)")
    }

    @Test func theUnitsCommandStartsSerinWhichTellsTheServiceManagerWhenItServesAndWhenItStops() async throws {
        let repository = try RunCommandTests.repositoryDeployingIris()
        let unit = try ServiceUnit(contentsOf: Self.unitFile)
        #expect(unit.type == "notify")
        let state = repository.root.appendingPathComponent("state")
        let notifications = try NotificationSocket(path: repository.root.appendingPathComponent("notify").path)
        #expect(unit.command(stateDirectory: state.path).first == "/usr/local/bin/serin")
        let serin = try Self.startUnitCommand(unit, for: repository, notifications: notifications)

        let ready = await notifications.next(within: .seconds(60))
        #expect(ready?.hasPrefix("READY=1\nSTATUS=Router at http://127.0.0.1:") == true, "\(ready ?? "nothing") \(serin.text)")
        let synced = await notifications.next(within: .seconds(60))
        #expect(synced == "STATUS=Serving models at http://127.0.0.1:\(try #require(await serin.port(after: "router listening on http://127.0.0.1:"))); "
                + "watching \(repository.path) (branch main)", "\(synced ?? "nothing") \(serin.text)")
        #expect(await serin.line(containing: "v1 is the stable version") != nil, "\(serin.text)")
        // The journal takes each line's priority from its `<N>` and records the time itself.
        let lines = serin.text.split(separator: "\n")
        #expect(lines.allSatisfy { $0.wholeMatch(of: /<[2-7]>\S.*/) != nil }, "\(serin.text)")
        #expect(lines.contains { $0.hasPrefix("<6>ml/iris v1  v1 is the stable version") }, "\(serin.text)")

        let server = try #require(try RunCommandTests.recordedServers(state).first)
        let inherited = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "/proc/\(server)/environ")), as: UTF8.self)
        #expect(!inherited.contains("NOTIFY_SOCKET"), "a model server could report the unit ready or stopping")

        serin.process.terminate()
        let stopping = await notifications.next(within: .seconds(30))
        #expect(stopping?.hasPrefix("STOPPING=1\n") == true, "\(stopping ?? "nothing") \(serin.text)")
        serin.process.waitUntilExit()
        #expect(serin.process.terminationStatus == 0)
        #expect(kill(-server, 0) != 0, "the model server outlived Serin")
    }

    /// Under `WatchdogSec=`, systemd gives Serin `WATCHDOG_USEC` and `WATCHDOG_PID`, and restarts it when no
    /// `WATCHDOG=1` arrives within that time; Serin sends it twice within it while its router and endpoints answer.
    @Test func underTheUnitsWatchdogSerinKeepsTellingTheServiceManagerItIsAlive() async throws {
        let repository = try RunCommandTests.repositoryDeployingIris()
        let unit = try ServiceUnit(contentsOf: Self.unitFile)
        #expect(unit.values("WatchdogSec") == ["30s"])
        #expect(unit.values("Restart") == ["on-failure"], "a watchdog timeout is a failure: Serin is started again")
        let notifications = try NotificationSocket(path: repository.root.appendingPathComponent("notify").path)
        // A shorter timeout than the unit's, so that the test sees several beats: 0.4 s, a beat every 0.2 s.
        let serin = try Self.startUnitCommand(unit, for: repository, notifications: notifications,
                                              adding: ["WATCHDOG_USEC": "400000"])
        // Without WATCHDOG_PID, which systemd sets to the pid it started and the test cannot know beforehand: Serin
        // takes the watchdog as its own then.
        #expect(await serin.line(containing: "v1 is the stable version") != nil, "\(serin.text)")

        var received: [String] = []
        while received.filter({ $0 == "WATCHDOG=1" }).count < 3, let next = await notifications.next(within: .seconds(10)) {
            received.append(next)
        }
        #expect(received.filter { $0 == "WATCHDOG=1" }.count == 3, "\(received) \(serin.text)")
        let server = try #require(try RunCommandTests.recordedServers(repository.root.appendingPathComponent("state")).first)
        let inherited = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "/proc/\(server)/environ")), as: UTF8.self)
        #expect(!inherited.contains("WATCHDOG_"), "a model server could keep the watchdog quiet or think it is watched")

        serin.process.terminate()
        serin.process.waitUntilExit()
        #expect(serin.process.terminationStatus == 0)
        #expect(!serin.text.contains("not answering"), "\(serin.text)")
    }

    /// systemd reads its socket as messages come; one that stops reading fills the socket's small queue (ten
    /// datagrams by default). Serin drops what does not fit and carries on: it still serves and still stops.
    @Test func aServiceManagerThatStopsReadingDoesNotHoldSerin() async throws {
        let repository = try RunCommandTests.repositoryDeployingIris()
        let unit = try ServiceUnit(contentsOf: Self.unitFile)
        // Never read: with a beat every 50 ms, the queue is full within a second.
        let notifications = try NotificationSocket(path: repository.root.appendingPathComponent("notify").path)
        let serin = try Self.startUnitCommand(unit, for: repository, notifications: notifications,
                                              adding: ["WATCHDOG_USEC": "100000"], stopSignal: SIGKILL)
        #expect(await serin.line(containing: "v1 is the stable version") != nil, "\(serin.text)")
        #expect(await serin.line(containing: "could not notify the service manager") != nil, "\(serin.text)")
        let router = try #require(await serin.port(after: "router listening on http://127.0.0.1:"))
        #expect(try await RunCommandTests.inferIris(through: router).status == 200)

        kill(serin.process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(60)
        while serin.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!serin.process.isRunning, "Serin did not stop: \(serin.text)")
        #expect(serin.text.contains("\nstopped") || serin.text.contains(">stopped"), "\(serin.text)")
    }

    /// The unit allows the system calls of an ordinary service, less the privileged ones, and sockets of a few
    /// kinds. Serin, the git it runs and a model server it starts are traced through a start, a sync, a deployment,
    /// a request and a stop: a call or socket outside the unit's limits would fail under systemd (EPERM,
    /// EAFNOSUPPORT) where no test here could see it otherwise.
    @Test func everySystemCallSerinAndItsModelServerMakeIsOneTheUnitAllows() async throws {
        let repository = try RunCommandTests.repositoryDeployingIris()
        let unit = try ServiceUnit(contentsOf: Self.unitFile)
        let filter = try SystemCallFilter(unit.values("SystemCallFilter"))
        let trace = repository.root.appendingPathComponent("trace")
        let command = Self.command(of: unit, stateDirectory: repository.root.appendingPathComponent("state"))
        // With the service manager's socket and watchdog, as systemd runs it: telling systemd how it is doing is traced too.
        let notifications = try NotificationSocket(path: repository.root.appendingPathComponent("notify").path)
        let strace = try LoggedProcess(URL(fileURLWithPath: "/usr/bin/strace"), arguments: ["-f", "-qq", "-o", trace.path, "--"] + command,
                                       environment: Self.environment(of: unit, for: repository, adding: [
                                           "NOTIFY_SOCKET": notifications.path, "WATCHDOG_USEC": "400000"]),
                                       log: repository.root.appendingPathComponent("serin.log"), stopSignal: SIGKILL)
        #expect(await strace.line(containing: "v1 is the stable version") != nil, "\(strace.text)")
        let router = try #require(await strace.port(after: "router listening on http://127.0.0.1:"))
        #expect(try await RunCommandTests.inferIris(through: router).status == 200)
        // Serin is strace's child: stopped as systemd stops it, with SIGTERM to it alone.
        let children = try String(contentsOfFile: "/proc/\(strace.process.processIdentifier)/task/\(strace.process.processIdentifier)/children",
                                  encoding: .utf8)
        let serin = try #require(children.split(separator: " ").first.flatMap { Int32($0) })
        kill(serin, SIGTERM)
        strace.process.waitUntilExit()
        #expect(strace.text.contains("stopped"), "\(strace.text)")

        let traced = try String(contentsOf: trace, encoding: .utf8)
        let calls = Set(traced.split(separator: "\n").compactMap { line -> String? in
            // `12345 openat(AT_FDCWD, …) = 3`, the pid padded to five places (`1234  openat…`); `<... read resumed>`
            // continues a call already named, `---`/`+++` are signals and exits.
            let call = line.drop { $0 != " " }.drop { $0 == " " }
            guard let name = call.firstMatch(of: /^[a-z0-9_]+(?=\()/) else { return nil }
            return String(name.output)
        })
        #expect(calls.count > 40, "\(calls.sorted())")
        #expect(calls.contains("execve") && (calls.contains("epoll_wait") || calls.contains("epoll_pwait")), "\(calls.sorted())")
        #expect(traced.contains("WATCHDOG=1"), "the watchdog's messages are not in the trace")
        let refused = calls.filter { !filter.allows($0) }.sorted()
        #expect(refused.isEmpty, "calls the unit's SystemCallFilter refuses: \(refused)")
        // And every kind of socket they open is one the unit's RestrictAddressFamilies= allows.
        let families = Set(traced.matches(of: /socket(?:pair)?\((AF_[A-Z0-9]+)/).map { String($0.output.1) })
        let allowedFamilies = Set(unit.values("RestrictAddressFamilies").flatMap { $0.split(separator: " ").map(String.init) })
        #expect(families.contains("AF_INET"), "\(families.sorted())")
        #expect(families.isSubset(of: allowedFamilies), "sockets the unit's RestrictAddressFamilies refuses: \(families.subtracting(allowedFamilies).sorted())")
    }

    /// systemd names a socket in the abstract namespace as `@name`.
    @Test func serinReachesANotificationSocketInTheAbstractNamespace() async throws {
        let repository = try RunCommandTests.repositoryDeployingIris()
        let notifications = try NotificationSocket(path: "@serin-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let serin = try RunCommandTests.startSerin(repository, state: repository.root.appendingPathComponent("state"), name: "serin",
                                                   environment: ["NOTIFY_SOCKET": notifications.path])
        let ready = await notifications.next(within: .seconds(60))
        #expect(ready?.hasPrefix("READY=1\n") == true, "\(ready ?? "nothing") \(serin.text)")
        serin.process.terminate()
        serin.process.waitUntilExit()
    }
}

/// The settings of a systemd unit file that starting its command depends on.
struct ServiceUnit {
    private var settings: [(key: String, value: String)] = []

    init(contentsOf file: URL) throws {
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix("["), let equals = trimmed.firstIndex(of: "=") else { continue }
            settings.append((String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...])))
        }
    }

    func values(_ key: String) -> [String] { settings.filter { $0.key == key }.map(\.value) }

    var type: String? { values("Type").last }

    /// `Environment=` assignments, with `%C` (the root of cache directories) expanded.
    func environment(cacheRoot: String) -> [String: String] {
        var environment: [String: String] = [:]
        for assignment in values("Environment") {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1].replacingOccurrences(of: "%C", with: cacheRoot) }
        }
        return environment
    }

    /// `ExecStart=` split into words, with `${STATE_DIRECTORY}` (what `StateDirectory=` makes) expanded.
    func command(stateDirectory: String) -> [String] {
        (values("ExecStart").last ?? "").split(separator: " ").map {
            $0.replacingOccurrences(of: "${STATE_DIRECTORY}", with: stateDirectory)
        }
    }
}

/// What a unit's `SystemCallFilter=` lines allow: the calls of the groups and names listed, less those of a `~` line,
/// with the groups as this machine's systemd defines them (`systemd-analyze syscall-filter`).
struct SystemCallFilter {
    private var allowed: Set<String> = []
    private var denied: Set<String> = []

    init(_ lines: [String]) throws {
        let listing = try ServiceUnitTests.systemdAnalyze(["syscall-filter"]).output
        var groups: [String: [String]] = [:]
        var group: String?
        for line in listing.split(separator: "\n") {
            if line.hasPrefix("@") {
                group = String(line.prefix { $0 != " " })
                groups[group ?? ""] = []
            } else if let group, !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                groups[group, default: []].append(line.trimmingCharacters(in: .whitespaces))
            }
        }
        func expand(_ name: String, _ seen: inout Set<String>) -> Set<String> {
            guard name.hasPrefix("@") else { return [name] }
            guard seen.insert(name).inserted else { return [] }
            return (groups[name] ?? []).reduce(into: Set<String>()) { $0.formUnion(expand($1, &seen)) }
        }
        for line in lines {
            let deny = line.hasPrefix("~")
            var seen: Set<String> = []
            let names = line.drop { $0 == "~" }.split(separator: " ").reduce(into: Set<String>()) { $0.formUnion(expand(String($1), &seen)) }
            if deny { denied.formUnion(names) } else { allowed.formUnion(names) }
        }
        guard !allowed.isEmpty else { throw HarnessError("no system call allowed by \(lines)") }
    }

    func allows(_ call: String) -> Bool { allowed.contains(call) && !denied.contains(call) }
}

/// The service manager's end of the notification protocol: a Unix datagram socket that receives what the service
/// sends to `NOTIFY_SOCKET`.
final class NotificationSocket {
    let path: String
    private let descriptor: Int32

    /// A socket at `path`, or, for `@name`, in the abstract namespace, where an address is exactly as long as its name.
    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let isAbstract = bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = isAbstract ? MemoryLayout<sa_family_t>.size + bytes.count : MemoryLayout<sockaddr_un>.size
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(length)) }
        }
        guard descriptor >= 0, bound == 0 else {
            throw HarnessError("cannot listen for notifications at \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The next datagram, or nil when none arrived within `limit`.
    func next(within limit: Duration) async -> String? {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    deinit {
        close(descriptor)
        if !path.hasPrefix("@") { unlink(path) }
    }
}
