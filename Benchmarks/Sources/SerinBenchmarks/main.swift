import Foundation
import Logging
import SerinCore
import SerinGit

// Serin's Git paths against the git CLI doing the same work, measured in the same run on the same repository, and
// printed as ratios (Serin / git). Timings are medians of several rounds; the machine is shared, so look at the
// ratios, not the absolute numbers.

let modelCount = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_MODELS"] ?? "") ?? 10_000
let rounds = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_ROUNDS"] ?? "") ?? 9
let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let clock = ContinuousClock()

let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("serin-bench-\(getpid())")
defer { try? FileManager.default.removeItem(at: scratch) }

@discardableResult
func git(_ arguments: [String], in directory: URL? = nil) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_AUTHOR_NAME"] = "bench"; environment["GIT_AUTHOR_EMAIL"] = "bench@example.invalid"
    environment["GIT_COMMITTER_NAME"] = "bench"; environment["GIT_COMMITTER_EMAIL"] = "bench@example.invalid"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"; environment["HOME"] = scratch.path
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { fail("cannot run git: \(error)") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fail("git \(arguments.joined(separator: " ")) failed") }
    return String(decoding: data, as: UTF8.self)
}

func deployment(_ index: Int, version: Int) -> String {
    """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: model-\(index), namespace: bench}
    spec:
      model: {version: "\(version)", uri: s3://models/model-\(index)/\(version)}
      runtime: {image: seldonio/mlserver:1.7.1}
      rollout:
        steps: [10, 50, 100]
        gates:
          - successRate: {min: 0.99}

    """
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }

func seconds(_ duration: Duration) -> String {
    let (whole, attoseconds) = duration.components
    return String(format: "%.3f s", Double(whole) + Double(attoseconds) / 1e18)
}

func report(_ name: String, serin: Duration, reference: Duration, referenceName: String, target: Double?) {
    let ratio = (Double(serin.components.seconds) + Double(serin.components.attoseconds) / 1e18)
        / max(1e-9, Double(reference.components.seconds) + Double(reference.components.attoseconds) / 1e18)
    let verdict = target.map { ratio <= $0 ? "within \($0)x" : "OVER \($0)x" } ?? ""
    print("\(name.padding(toLength: 34, withPad: " ", startingAt: 0)) serin \(seconds(serin))  \(referenceName) \(seconds(reference))  ratio \(String(format: "%.2f", ratio))  \(verdict)")
}

// A repository of `modelCount` ModelDeployment files.
let origin = scratch.appendingPathComponent("origin.git")
let work = scratch.appendingPathComponent("work")
try FileManager.default.createDirectory(at: work.appendingPathComponent("deployments"), withIntermediateDirectories: true)
git(["init", "--quiet", "--bare", "--initial-branch", "main", origin.path])
git(["init", "--quiet", "--initial-branch", "main", work.path])
for index in 0..<modelCount {
    try Data(deployment(index, version: 1).utf8).write(to: work.appendingPathComponent("deployments/model-\(index).yaml"))
}
git(["add", "-A"], in: work)
git(["commit", "--quiet", "-m", "\(modelCount) models"], in: work)
git(["remote", "add", "origin", origin.path], in: work)
git(["push", "--quiet", "origin", "main"], in: work)
print("repository: \(modelCount) ModelDeployment files; \(rounds) rounds each; medians\n")

// 1. A full first sync: Serin fetches into an empty mirror and decodes every file; git fetches into an empty repository.
var serinFull: [Duration] = []
var gitFull: [Duration] = []
for round in 0..<max(3, rounds / 3) {
    let cache = scratch.appendingPathComponent("full-\(round)")
    serinFull.append(try await clock.measure {
        let mirror = try await GitMirror(remote: GitRemote(url: origin.path), cacheDirectory: cache.path)
        let outcome = await DesiredStateSource(mirror: mirror, logger: quiet).sync()
        guard case .applied(let snapshot, _) = outcome, snapshot.decoding.state.entries.count == modelCount else {
            fail("the first sync did not apply: \(outcome)")
        }
    })
    let target = scratch.appendingPathComponent("git-full-\(round).git")
    gitFull.append(clock.measure {
        git(["init", "--quiet", "--bare", target.path])
        git(["--git-dir", target.path, "fetch", "--quiet", "--no-tags", origin.path, "+refs/heads/main:refs/heads/main"])
    })
}
report("full first sync (fetch + decode all)", serin: median(serinFull), reference: median(gitFull), referenceName: "git fetch", target: nil)

// 2. An incremental sync after a one-file change: Serin fetches, diffs and decodes one file; git fetches.
let mirror = try await GitMirror(remote: GitRemote(url: origin.path), cacheDirectory: scratch.appendingPathComponent("incremental").path)
let source = DesiredStateSource(mirror: mirror, logger: quiet)
_ = await source.sync()
let gitMirror = scratch.appendingPathComponent("git-incremental.git")
git(["init", "--quiet", "--bare", gitMirror.path])
git(["--git-dir", gitMirror.path, "fetch", "--quiet", "--no-tags", origin.path, "+refs/heads/main:refs/heads/main"])
var serinIncremental: [Duration] = []
var serinFetchOnly: [Duration] = []
var gitIncremental: [Duration] = []
let fetchMirror = try await GitMirror(remote: GitRemote(url: origin.path), cacheDirectory: scratch.appendingPathComponent("fetch-only").path)
_ = try await fetchMirror.fetch(branch: "main")
for round in 0..<rounds {
    try Data(deployment(round, version: round + 2).utf8).write(to: work.appendingPathComponent("deployments/model-\(round).yaml"))
    git(["commit", "--quiet", "-am", "model-\(round) v\(round + 2)"], in: work)
    git(["push", "--quiet", "origin", "main"], in: work)
    serinIncremental.append(await clock.measure {
        guard case .applied(let snapshot, _) = await source.sync(), snapshot.parsedFiles == 1 else {
            fail("the incremental sync did not apply exactly one file")
        }
    })
    gitIncremental.append(clock.measure {
        git(["--git-dir", gitMirror.path, "fetch", "--quiet", "--no-tags", origin.path, "+refs/heads/main:refs/heads/main"])
    })
    serinFetchOnly.append(try await clock.measure { _ = try await fetchMirror.fetch(branch: "main") })
}
report("incremental sync (one file changed)", serin: median(serinIncremental), reference: median(gitIncremental), referenceName: "git fetch", target: 1.5)
report("  of which the fetch alone", serin: median(serinFetchOnly), reference: median(gitIncremental), referenceName: "git fetch", target: nil)

// 3. One status commit and its push: Serin's ledger writer against git commit + git push in a work tree.
let statusOrigin = scratch.appendingPathComponent("status.git")
git(["init", "--quiet", "--bare", "--initial-branch", "main", statusOrigin.path])
let writer = LedgerWriter(mirror: try await GitMirror(remote: GitRemote(url: statusOrigin.path),
                                                      cacheDirectory: scratch.appendingPathComponent("ledger").path), logger: quiet)
let statusWork = scratch.appendingPathComponent("status-work")
git(["init", "--quiet", "--initial-branch", "status", statusWork.path])
git(["remote", "add", "origin", statusOrigin.path], in: statusWork)
try FileManager.default.createDirectory(at: statusWork.appendingPathComponent("status/bench"), withIntermediateDirectories: true)
// Warm both up once so each measurement is a steady-state write.
_ = try await writer.write(LedgerRecord(path: "status/bench/a.yaml", content: Array("step: 0\n".utf8), message: "warm up\n", time: 1))
try Data("step: 0\n".utf8).write(to: statusWork.appendingPathComponent("status/bench/b.yaml"))
git(["add", "-A"], in: statusWork); git(["commit", "--quiet", "-m", "warm up"], in: statusWork)
git(["push", "--quiet", "origin", "status:refs/heads/cli-status"], in: statusWork)
var serinStatus: [Duration] = []
var gitStatus: [Duration] = []
for round in 1...max(rounds, 15) {
    let content = "step: \(round)\n"
    serinStatus.append(try await clock.measure {
        _ = try await writer.write(LedgerRecord(path: "status/bench/a.yaml", content: Array(content.utf8),
                                                message: "bench/a: Progressing \(round)%\n", time: Int64(round)))
    })
    gitStatus.append(try clock.measure {
        try Data(content.utf8).write(to: statusWork.appendingPathComponent("status/bench/b.yaml"))
        git(["commit", "--quiet", "-am", "bench/b: Progressing \(round)%"], in: statusWork)
        git(["push", "--quiet", "origin", "status:refs/heads/cli-status"], in: statusWork)
    })
}
report("status commit + push", serin: median(serinStatus), reference: median(gitStatus), referenceName: "git commit+push", target: 1.5)
