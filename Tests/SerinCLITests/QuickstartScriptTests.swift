import Foundation
import SerinHTTP
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `make run`'s script (scripts/quickstart.sh) as a user runs it from a checkout whose products are built: it seeds a
/// quickstart repository, prints what to try, serves iris through Serin's router, and stops on Ctrl-C, which a
/// terminal sends as SIGINT to its foreground process group.
@Suite("make run: the quickstart script")
struct QuickstartScriptTests {
    @Test func aFirstRunSeedsItsRepositoryServesIrisAndCtrlCStopsEverything() async throws {
        let scratch = try TemporaryDirectory(prefix: "quickstart")
        let run = try QuickstartRun(scratch: scratch)
        let shifted = await run.line(containing: "traffic shifted", and: "v1 100%")
        #expect(shifted != nil, "\(run.text)")
        #expect(run.text.contains(#"sed -i 's/version: "1"/version: "2"/' deployments/iris.yaml && git commit -qam "iris v2""#),
                "\(run.text)")
        let answer = try await HTTPTransport.send(HTTPRequest(
            method: "POST", url: "http://127.0.0.1:\(run.routerPort)/v2/models/iris/infer",
            headers: ["Content-Type: application/json"],
            body: Array(#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}]}"#.utf8),
            timeout: .seconds(10)))
        #expect(answer.status == 200)
        let servers = run.modelServerGroups
        #expect(!servers.isEmpty)
        // The state directory it seeds, as serin run would create it, is for its owner alone.
        let state = try FileManager.default.attributesOfItem(atPath: scratch.url.appendingPathComponent(".serin").path)
        #expect((state[.posixPermissions] as? Int).map { String($0, radix: 8) } == "700")

        #expect(run.interrupt() == 0, "\(run.text)")
        #expect(run.text.contains("stopped"))
        for group in servers { #expect(ProcessTree.members(ofProcessGroup: group).isEmpty) }
        // The script's own background traffic ends with it.
        #expect(ChildProcess.waitUntil(.now + .seconds(5)) { ProcessTree.members(ofProcessGroup: run.group).isEmpty })
    }

    @Test func aLaterRunSuggestsTheVersionAfterTheOneItsRepositoryAsksFor() async throws {
        let scratch = try TemporaryDirectory(prefix: "quickstart")
        let first = try QuickstartRun(scratch: scratch)
        #expect(await first.line(containing: "router listening") != nil, "\(first.text)")
        #expect(first.interrupt() == 0, "\(first.text)")

        // The repository keeps its history between runs: here it has moved on to version 7.
        let file = scratch.url.appendingPathComponent(".serin/quickstart-repo/deployments/iris.yaml")
        let document = try String(contentsOf: file, encoding: .utf8)
        try document.replacingOccurrences(of: #"version: "1""#, with: #"version: "7""#).write(to: file, atomically: true, encoding: .utf8)
        let git = try ChildProcess.spawn("/usr/bin/git", ["-C", file.deletingLastPathComponent().deletingLastPathComponent().path,
                                                          "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "iris v7"],
                                         environment: ["PATH": "/usr/bin:/bin", "HOME": scratch.url.path],
                                         standardOutput: 2, standardError: 2)
        #expect(git.waitForExit(until: .now + .seconds(30)) && git.exitCode == 0)

        let second = try QuickstartRun(scratch: scratch)
        #expect(await second.line(containing: "router listening") != nil, "\(second.text)")
        #expect(second.text.contains(#"sed -i 's/version: "7"/version: "8"/' deployments/iris.yaml && git commit -qam "iris v8""#),
                "\(second.text)")
        #expect(second.interrupt() == 0, "\(second.text)")
    }
}

/// One run of scripts/quickstart.sh from the repository's root, with its state directory in `scratch`, the router on
/// a free port and Serin's endpoints on any port; its output goes to a log file in `scratch`.
final class QuickstartRun {
    let routerPort: UInt16
    let scratch: TemporaryDirectory
    private let process: ChildProcess
    private let log: URL

    init(scratch: TemporaryDirectory) throws {
        self.scratch = scratch
        routerPort = try LoopbackPort.reserve()
        log = scratch.url.appendingPathComponent("run-\(UUID().uuidString).log")
        let descriptor = open(log.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw HarnessError("cannot open \(log.path)") }
        defer { close(descriptor) }
        process = try ChildProcess.spawn(
            "/bin/bash", ["scripts/quickstart.sh"],
            environment: ["PATH": "/usr/bin:/bin", "HOME": scratch.url.path,
                          "SERIN_STATE_DIR": scratch.url.appendingPathComponent(".serin").path,
                          "SERIN_ROUTER_LISTEN": "127.0.0.1:\(routerPort)", "SERIN_LISTEN": "127.0.0.1:0"],
            directory: ValidateCommandTests.repositoryRoot, standardOutput: descriptor, standardError: descriptor)
    }

    /// The script's process group, which a terminal's Ctrl-C reaches: the script, Serin and the background traffic.
    var group: pid_t { process.processIdentifier }

    var text: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits until the output has a line containing both texts; returns that line.
    func line(containing needle: String, and other: String? = nil, within limit: Duration = .seconds(90)) async -> String? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, process.isRunning {
            if let line = text.split(separator: "\n").first(where: { $0.contains(needle) && other.map($0.contains) ?? true }) {
                return String(line)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// The model servers' process groups, as the local runtime records them.
    var modelServerGroups: [pid_t] {
        let file = scratch.url.appendingPathComponent(".serin/processes.json")
        guard let data = try? Data(contentsOf: file),
              let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return ((document["processes"] as? [[String: Any]]) ?? []).compactMap { ($0["pid"] as? NSNumber)?.int32Value }
    }

    /// Ctrl-C: SIGINT to the process group; returns the script's exit code once it has exited.
    func interrupt() -> Int32? {
        kill(-group, SIGINT)
        guard process.waitForExit(until: .now + .seconds(30)) else { return nil }
        return process.exitCode
    }

    deinit {
        if process.isRunning { process.terminateTree() }
    }
}
