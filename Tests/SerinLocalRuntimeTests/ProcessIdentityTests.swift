import Foundation
import SerinCore
@testable import SerinLocalRuntime
import SerinProcess
import Testing

/// A Serin that starts after another one stops the model servers `processes.json` recorded, and only those: the
/// pid of a server that ended may since have gone to any process of the user's.
@Suite("Telling a recorded model server from another process with its pid")
struct ProcessIdentityTests {
    @Test func aRecordedServerWhosePidNowBelongsToAnotherProcessIsLeftRunning() throws {
        let other = try Sleeper()
        let identity = try #require(ProcessIdentity.of(other.pid))
        let state = StateDirectory()
        try record(other.pid, boot: identity.bootID, started: identity.startTime - 1, in: state)
        _ = startedRuntime(on: state)
        #expect(other.isRunning)
    }

    @Test func aRecordedServerFromBeforeTheMachineRestartedIsLeftRunning() throws {
        let other = try Sleeper()
        let identity = try #require(ProcessIdentity.of(other.pid))
        let state = StateDirectory()
        try record(other.pid, boot: "00000000-0000-0000-0000-000000000000", started: identity.startTime, in: state)
        _ = startedRuntime(on: state)
        #expect(other.isRunning)
    }

    @Test func aRecordedServerThatIsStillItselfIsStopped() throws {
        let server = try Sleeper()
        let identity = try #require(ProcessIdentity.of(server.pid))
        let state = StateDirectory()
        try record(server.pid, boot: identity.bootID, started: identity.startTime, in: state)
        _ = startedRuntime(on: state)
        #expect(!server.isRunning)
    }

    @Test func aServerIsRecordedWithItsIdentity() async throws {
        let state = StateDirectory()
        let first = startedRuntime(on: state)
        let deployment = localDeployment()
        try await first.perform([.deploy(deployment.revision, replicas: 1)], key: deployment.key, desired: deployment)
        let recorded = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: state.path + "/processes.json"))))
        let entry = try #require(recorded["processes"]?.arrayValue?.first)
        let pid = try #require(entry["pid"]?.integerValue.flatMap { pid_t(exactly: $0) })
        let identity = try #require(ProcessIdentity.of(pid))
        #expect(entry["boot"]?.stringValue == identity.bootID)
        #expect(entry["started"]?.integerValue == Int64(identity.startTime))
        // A Serin started after this one stops it (the first never stops what it started).
        _ = startedRuntime(on: state)
        #expect(kill(-pid, 0) != 0)
    }

    @Test func theStartTimeIsFoundAfterACommandNameWithSpacesAndParentheses() {
        let rest = (3...52).map { $0 == 22 ? "987654" : "\($0)" }.joined(separator: " ")
        #expect(ProcessIdentity.startTime(fromStat: "4242 (model (server) x) \(rest)\n") == 987654)
        #expect(ProcessIdentity.startTime(fromStat: "4242 (cut) S 1 2") == nil)
    }

    @Test func aProcessIsTheSameWhileItRunsAndNoneOnceItIsGone() throws {
        let sleeper = try Sleeper()
        #expect(ProcessIdentity.of(sleeper.pid) != nil)
        #expect(ProcessIdentity.of(sleeper.pid) == ProcessIdentity.of(sleeper.pid))
        #expect(ProcessIdentity.of(sleeper.pid) != ProcessIdentity.of(getpid()))
        sleeper.stop()
        #expect(ProcessIdentity.of(sleeper.pid) == nil)
    }

    @Test func aStateFileWithoutIdentitiesIsTrustedAsBefore() {
        #expect(ProcessIdentity.judge(recorded: nil, bootID: "b", running: ProcessIdentity(bootID: "b", startTime: 7)) == .stop)
    }

    /// A runtime starting on `state`, as a Serin starts: it stops what `processes.json` records first.
    private func startedRuntime(on state: StateDirectory) -> LocalRuntime {
        LocalRuntime(configuration: .init(stateDirectory: state.path, stopGrace: .seconds(5)), router: RecordingRouter())
    }

    private func record(_ pid: pid_t, boot: String, started: UInt64, in state: StateDirectory) throws {
        try FileManager.default.createDirectory(atPath: state.path, withIntermediateDirectories: true)
        let document: JSONValue = ["processes": [["namespace": "ml", "name": "iris", "digest": "0123456789abcdef",
                                                  "pid": .integer(Int64(pid)), "boot": .string(boot),
                                                  "started": .integer(Int64(started))]]]
        try Data(document.serialized.utf8).write(to: URL(fileURLWithPath: state.path + "/processes.json"))
    }
}

/// `sleep` in a process group of its own, as a model server runs, standing in for a process of the user's.
private final class Sleeper {
    let pid: pid_t
    private var reaped = false

    init() throws {
        pid = try ProcessSpawner.spawn("sleep", ["60"], environment: ["PATH": "/usr/bin:/bin"],
                                       standardOutput: STDERR_FILENO, standardError: STDERR_FILENO)
    }

    /// Whether it still runs: not yet exited, or exited and not yet reaped here (a signal it got ends it).
    var isRunning: Bool {
        guard !reaped else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
        return !reaped
    }

    func stop() {
        guard !reaped else { return }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        reaped = true
    }

    deinit { stop() }
}
