import Foundation
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
        // What systemd puts in the command's environment: the unit's own settings, then /etc/serin/serin.env's
        // (here, this test's repository and free ports), then the notification socket.
        let settings = ["SERIN_REPO": repository.path, "SERIN_ROUTER_LISTEN": "127.0.0.1:0", "SERIN_LISTEN": "127.0.0.1:0",
                        "SERIN_INTERVAL": "1h", "SERIN_ROUTER_THREADS": "1",
                        "PATH": "\(ValidateCommandTests.executable.deletingLastPathComponent().path):/usr/bin:/bin"]
        let environment = unit.environment(cacheRoot: repository.root.appendingPathComponent("cache").path)
            .merging(settings) { _, setting in setting }
            .merging(["NOTIFY_SOCKET": notifications.path, "HOME": repository.root.path]) { _, new in new }
        let command = unit.command(stateDirectory: state.path)
        #expect(command.first == "/usr/local/bin/serin")
        let serin = try LoggedProcess(ValidateCommandTests.executable, arguments: Array(command.dropFirst()), environment: environment,
                                      log: repository.root.appendingPathComponent("serin.log"), stopSignal: SIGTERM)

        let ready = await notifications.next(within: .seconds(60))
        #expect(ready?.hasPrefix("READY=1\nSTATUS=Serving models at http://127.0.0.1:") == true, "\(ready ?? "nothing") \(serin.text)")
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

    private func values(_ key: String) -> [String] { settings.filter { $0.key == key }.map(\.value) }

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
