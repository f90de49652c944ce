import Crypto
import Foundation
import KubeEmulator
import Logging
import SerinCore
import SerinHTTP
import SerinKube

// `serin run --runtime kubernetes` (the release binary) with 1,000 ModelDeployments in its repository, against the
// Kubernetes API emulator running in this process, which timestamps every request it receives:
//
// - webhook to first write: a one-model commit is pushed, a signed GitHub webhook announces it, and the time until
//   Serin's first API write for that model is measured (median and p99 over the samples), next to the same run's
//   `git fetch` of the same commit by the git CLI (the floor the Git part cannot beat) and one API round trip.
//   Target: within 2 × git fetch + one round trip.
// - steady state: webhooks that change nothing make Serin look at all 1,000 models again; the CPU time Serin spends
//   per such sync, and the writes it makes (target: none).
// - Serin's resident memory with 1,000 models (current and peak).
//
// SERIN_BINARY names the serin executable (default: .build/release/serin of the repository this package is in);
// SERIN_BENCH_MODELS and SERIN_BENCH_SAMPLES change the counts; SERIN_BENCH_KEEP_LOG=PATH keeps Serin's log.

let modelCount = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_MODELS"] ?? "") ?? 1_000
let sampleCount = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_SAMPLES"] ?? "") ?? 20
let steadySyncs = 5
let secret = "operator-benchmark-secret"
let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let clock = ContinuousClock()
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("serin-operator-bench-\(getpid())")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

/// Runs a command to completion; its output is returned, its failure ends the benchmark.
@discardableResult
func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_AUTHOR_NAME"] = "bench"
    environment["GIT_AUTHOR_EMAIL"] = "bench@example.invalid"
    environment["GIT_COMMITTER_NAME"] = "bench"
    environment["GIT_COMMITTER_EMAIL"] = "bench@example.invalid"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    do { try process.run() } catch { fail("\(executable): \(error)") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    if process.terminationStatus != 0 { fail("\(executable) \(arguments.joined(separator: " ")) failed: \(text)") }
    return text
}

func git(_ arguments: String..., in directory: URL) { run("/usr/bin/git", arguments, in: directory) }

func document(_ index: Int, version: Int) -> String {
    """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: model-\(index), namespace: ml}
    spec:
      model: {name: model-\(index), version: "\(version)", uri: s3://models/model-\(index)/\(version)}
      runtime: {image: docker.io/seldonio/mlserver:1.7.1}
      traffic: {provider: replicas}
      rollout: {steps: [50, 100], interval: 1s, gates: []}

    """
}

// The repository: 1,000 models, one file each.
let repository = scratch.appendingPathComponent("deployments-repo")
try FileManager.default.createDirectory(at: repository.appendingPathComponent("deployments"), withIntermediateDirectories: true)
git("init", "--quiet", "--initial-branch=main", in: repository)
for index in 0..<modelCount {
    try Data(document(index, version: 1).utf8).write(to: repository.appendingPathComponent("deployments/model-\(index).yaml"))
}
git("add", "-A", in: repository)
git("commit", "--quiet", "-m", "\(modelCount) models", in: repository)
// The git CLI's own mirror of the same repository: its fetches of each commit are the floor.
let cliMirror = scratch.appendingPathComponent("cli-mirror.git")
git("clone", "--quiet", "--mirror", repository.path, cliMirror.path, in: scratch)

// The API server, in this process: its request log carries arrival times on this process's clock.
var options = KubeEmulatorOptions()
options.watchHistoryLimit = modelCount * 20
options.deploymentReadyAfter = .milliseconds(50)
let emulator = try await KubeEmulator.start(options, logger: quiet)
let kubeconfig = scratch.appendingPathComponent("kubeconfig").path
try emulator.writeKubeconfig(to: kubeconfig, token: nil)
let client = KubeClient(configuration: KubeConfiguration(server: emulator.baseURL), logger: quiet)
_ = try await client.create(.namespaces, ["metadata": ["name": "ml"]])

// Serin.
let serinBinary = ProcessInfo.processInfo.environment["SERIN_BINARY"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/release/serin").standardized.path
guard FileManager.default.isExecutableFile(atPath: serinBinary) else {
    fail("no serin binary at \(serinBinary): run `swift build -c release --product serin` first, or set SERIN_BINARY")
}
let secretFile = scratch.appendingPathComponent("webhook-secret")
try Data(secret.utf8).write(to: secretFile)
try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
let serinLog = scratch.appendingPathComponent("serin.log")
FileManager.default.createFile(atPath: serinLog.path, contents: nil)
let serin = Process()
serin.executableURL = URL(fileURLWithPath: serinBinary)
serin.arguments = ["run", "--runtime", "kubernetes", "--kubeconfig", kubeconfig, "--repo", repository.path,
                   "--state-dir", scratch.appendingPathComponent("state").path, "--listen", "127.0.0.1:0",
                   "--interval", "1h", "--namespace", "ml", "--webhook-secret-file", secretFile.path, "--log-format", "json"]
serin.standardOutput = try FileHandle(forWritingTo: serinLog)
serin.standardError = try FileHandle(forWritingTo: serinLog)
try serin.run()
defer { if serin.isRunning { serin.terminate(); serin.waitUntilExit() } }

func serinLogText() -> String { (try? String(contentsOf: serinLog, encoding: .utf8)) ?? "" }

var endpointsPort: Int?
for _ in 0..<600 where endpointsPort == nil {
    let text = serinLogText()
    if let range = text.range(of: "Serin's endpoints on http://127.0.0.1:") {
        endpointsPort = Int(text[range.upperBound...].prefix { $0.isNumber })
    }
    guard serin.isRunning else { fail("serin exited: \(serinLogText())") }
    try await Task.sleep(for: .milliseconds(100))
}
guard let endpointsPort else { fail("serin never opened its endpoints: \(serinLogText())") }

/// Serin's writes: requests other than reads, from Serin's client.
func serinWrites(_ records: some Sequence<EmulatorRequestRecord>) -> [EmulatorRequestRecord] {
    records.filter { $0.method != "GET" && $0.userAgent == "serin-kube" }
}

/// Waits until Serin has made no write for `quiet` and `condition` holds.
func settle(quiet: Duration = .seconds(3), timeout: Duration = .seconds(1_800), _ condition: () async -> Bool = { true }) async {
    let deadline = clock.now + timeout
    while clock.now < deadline {
        let last = serinWrites(await emulator.requests()).last?.receivedAt
        if let last, clock.now - last >= quiet, await condition() { return }
        guard serin.isRunning else { fail("serin exited: \(serinLogText())") }
        try? await Task.sleep(for: .milliseconds(500))
    }
    fail("Serin did not settle within \(timeout)")
}

func ledgerSubject() -> String {
    run("/usr/bin/git", ["log", "-1", "--format=%s", "serin/status"], in: repository).trimmingCharacters(in: .whitespacesAndNewlines)
}

func sendWebhook() async {
    let body = Array(#"{"ref":"refs/heads/main"}"#.utf8)
    let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    let signature = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    let request = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(endpointsPort)/hooks/github",
                              headers: ["X-GitHub-Event: push", "X-Hub-Signature-256: \(signature)", "Content-Type: application/json"],
                              body: body, timeout: .seconds(10))
    guard let response = try? await HTTPTransport.send(request), response.status == 202 else {
        fail("the webhook was not accepted")
    }
}

/// Serin's process: CPU seconds (user + system) and resident KiB (current, peak).
func serinUsage() -> (cpu: Double, residentKiB: Int, peakKiB: Int) {
    let pid = serin.processIdentifier
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let cpu = fields.count > 13 ? ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks : 0
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func kib(_ key: String) -> Int {
        Int(status.split(separator: "\n").first { $0.hasPrefix(key) }?.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return (cpu, kib("VmRSS:"), kib("VmHWM:"))
}

// 1. The first sync deploys every model.
let firstStart = clock.now
print("deploying \(modelCount) models …")
await settle {
    (try? await client.list(.deployments, namespace: "ml").items.count) == modelCount
}
print("first deploy of \(modelCount) models: \(format(milliseconds(clock.now - firstStart) / 1_000)) s, \(serinWrites(await emulator.requests()).count) writes\n")

// One API round trip, as Serin's client makes it.
var roundTrips: [Double] = []
for _ in 0..<50 {
    let start = clock.now
    _ = try await client.get(.namespaces, name: "ml")
    roundTrips.append(milliseconds(clock.now - start))
}
let roundTrip = percentile(roundTrips, 0.5)

// 2. Webhook to first write, against git fetch of the same commit.
var latencies: [Double] = []
var fetches: [Double] = []
for sample in 0..<sampleCount {
    let index = (sample * 37 + 11) % modelCount
    try Data(document(index, version: 2).utf8).write(to: repository.appendingPathComponent("deployments/model-\(index).yaml"))
    git("commit", "--quiet", "-am", "model-\(index) v2", in: repository)
    let mark = await emulator.requests().count
    let sent = clock.now
    await sendWebhook()
    let answered = clock.now
    var first: ContinuousClock.Instant?
    while first == nil {
        // Serin is at rest before each sample (it writes nothing at rest, which part 3 checks), so its first write
        // after the webhook is this commit's: the create of the new version's Deployment, a POST to the collection.
        first = serinWrites(await emulator.requests().dropFirst(mark)).first?.receivedAt
        if first == nil {
            guard clock.now - sent < .seconds(120) else { fail("no write for model-\(index) within 120 s") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
    guard let first else { break }
    latencies.append(milliseconds(first - sent))
    if ProcessInfo.processInfo.environment["SERIN_BENCH_VERBOSE"] != nil {
        print("  model-\(index): webhook answered after \(format(milliseconds(answered - sent))) ms, first write after \(format(milliseconds(first - sent))) ms")
    }
    let fetchStart = clock.now
    git("fetch", "--quiet", "origin", in: cliMirror)
    fetches.append(milliseconds(clock.now - fetchStart))
    // Let the canary finish so the next sample starts from rest.
    await settle(quiet: .seconds(2)) { ledgerSubject() == "ml/model-\(index): Succeeded 100% (v2)" }
}
let fetchMedian = percentile(fetches, 0.5)
let target = 2 * fetchMedian + roundTrip
print("webhook to first write (\(sampleCount) one-model commits, \(modelCount) models in the repository)")
print("  serin      median \(format(percentile(latencies, 0.5))) ms   p99 \(format(percentile(latencies, 0.99))) ms")
print("  git fetch  median \(format(fetchMedian)) ms   p99 \(format(percentile(fetches, 0.99))) ms   API round trip \(format(roundTrip)) ms")
print("  ratio      median \(String(format: "%.2f", percentile(latencies, 0.5) / target)) × target (2 × git fetch + one round trip = \(format(target)) ms)\n")

// 3. Steady state: syncs that change nothing.
try await Task.sleep(for: .seconds(2))
let markRequests = await emulator.requests().count
let before = serinUsage()
let steadyStart = clock.now
for _ in 0..<steadySyncs {
    await sendWebhook()
    try await Task.sleep(for: .seconds(3))
}
let after = serinUsage()
let steadyWrites = serinWrites(await emulator.requests().dropFirst(markRequests))
let reconciles = serinLogText().components(separatedBy: "syncing now").count - 1
print("steady state (\(steadySyncs) syncs that change nothing, \(format(milliseconds(clock.now - steadyStart) / 1_000)) s, \(reconciles) webhooks in all)")
print("  CPU per sync  \(format((after.cpu - before.cpu) * 1_000 / Double(steadySyncs))) ms")
print("  API writes    \(steadyWrites.count) (target 0)\(steadyWrites.isEmpty ? "" : ": " + steadyWrites.prefix(5).map { "\($0.method) \($0.path)" }.joined(separator: ", "))")
print("  resident      \(after.residentKiB / 1024) MiB now, \(after.peakKiB / 1024) MiB peak\n")

serin.terminate()
serin.waitUntilExit()
try await emulator.stop()
if let keep = ProcessInfo.processInfo.environment["SERIN_BENCH_KEEP_LOG"] {
    try? FileManager.default.removeItem(atPath: keep)
    try FileManager.default.copyItem(at: serinLog, to: URL(fileURLWithPath: keep))
}
