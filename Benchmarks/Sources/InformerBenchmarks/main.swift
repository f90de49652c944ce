import Foundation
import KubeEmulator
import Logging
import SerinCore
import SerinKube

// Serin's informer against kubectl on the same emulator and the same stream of events, measured in one run and
// printed as ratios: the initial list of 10,000 objects (against `kubectl get -o json` of the same list), the watch
// throughput while 5,000 objects change (against `kubectl get --watch-only` reading the same events), and the
// resident memory the informer's cache adds.

let objectCount = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_OBJECTS"] ?? "") ?? 10_000
let changeCount = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_CHANGES"] ?? "") ?? 5_000
let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let clock = ContinuousClock()
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("serin-informer-bench-\(getpid())")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func residentKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func report(_ name: String, serin: Double, reference: Double, unit: String, referenceName: String, higherIsBetter: Bool) {
    let ratio = serin / max(reference, 1e-9)
    let note = higherIsBetter ? "(higher is better)" : "(lower is better)"
    print("\(name.padding(toLength: 30, withPad: " ", startingAt: 0)) serin \(String(format: "%.1f", serin)) \(unit)  \(referenceName) \(String(format: "%.1f", reference)) \(unit)  ratio \(String(format: "%.2f", ratio)) \(note)")
}

var options = KubeEmulatorOptions()
options.simulatesDeploymentController = false
options.watchHistoryLimit = changeCount * 2 + objectCount
let emulator = try await KubeEmulator.start(options, logger: quiet)
let kubeconfig = scratch.appendingPathComponent("kubeconfig").path
try emulator.writeKubeconfig(to: kubeconfig, token: nil)
let client = KubeClient(configuration: KubeConfiguration(server: emulator.baseURL), logger: quiet)

// 10,000 ConfigMaps, created 32 at a time.
try await withThrowingTaskGroup(of: Void.self) { group in
    for batch in stride(from: 0, to: objectCount, by: 32) {
        for index in batch..<min(batch + 32, objectCount) {
            group.addTask {
                let object: JSONValue = ["metadata": ["name": .string("model-\(index)")], "data": ["version": "1", "uri": .string("s3://models/model-\(index)/1")]]
                _ = try await client.create(.configMaps, object, namespace: "default")
            }
        }
        try await group.waitForAll()
    }
}
print("emulator: \(objectCount) ConfigMaps; \(changeCount) changes\n")

func kubectl(_ arguments: [String], output: FileHandle) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
    process.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", scratch.appendingPathComponent("kubectl-cache").path] + arguments
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

// 1. The initial list.
let before = residentKiB()
let informer = Informer(client: client, type: .configMaps, namespace: "default", logger: quiet)
let listStart = clock.now
let running = Task { await informer.run() }
await informer.cache.waitForSync()
let serinList = seconds(clock.now - listStart)
let cacheKiB = residentKiB() - before
guard await informer.cache.count == objectCount else { fail("the informer cached \(await informer.cache.count) objects") }

let listOutput = scratch.appendingPathComponent("list.json")
FileManager.default.createFile(atPath: listOutput.path, contents: nil)
let kubectlListStart = clock.now
let lister = try kubectl(["get", "configmaps", "-n", "default", "-o", "json"], output: try FileHandle(forWritingTo: listOutput))
lister.waitUntilExit()
let kubectlList = seconds(clock.now - kubectlListStart)
report("initial list", serin: serinList, reference: kubectlList, unit: "s", referenceName: "kubectl get -o json", higherIsBetter: false)
print("cache resident memory          \(cacheKiB) KiB for \(objectCount) objects (\(cacheKiB * 1024 / max(objectCount, 1)) bytes each)")

// 2. Watch throughput on the same stream: both watch while the objects change.
let watchOutput = scratch.appendingPathComponent("watch.txt")
FileManager.default.createFile(atPath: watchOutput.path, contents: nil)
let watcher = try kubectl(["get", "configmaps", "-n", "default", "--watch-only", "-o", "name"], output: try FileHandle(forWritingTo: watchOutput))
try await Task.sleep(for: .seconds(2))
let counting = Task { () -> Duration? in
    var seen = 0
    let start = clock.now
    for await change in informer.changes where change.kind == .updated {
        seen += 1
        if seen == changeCount { return clock.now - start }
    }
    return nil
}
let changeStart = clock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for batch in stride(from: 0, to: changeCount, by: 32) {
        for index in batch..<min(batch + 32, changeCount) {
            group.addTask {
                _ = try await client.patch(.configMaps, name: "model-\(index % objectCount)", namespace: "default",
                                           .merge(["data": ["version": "2"]]))
            }
        }
        try await group.waitForAll()
    }
}
guard let serinWatch = await counting.value else { fail("the informer missed changes") }
var kubectlWatch: Double?
while kubectlWatch == nil && clock.now - changeStart < .seconds(120) {
    let lines = ((try? String(contentsOf: watchOutput, encoding: .utf8)) ?? "").split(separator: "\n").count
    if lines >= changeCount { kubectlWatch = seconds(clock.now - changeStart) } else { try await Task.sleep(for: .milliseconds(10)) }
}
watcher.terminate()
running.cancel()
guard let kubectlWatch else { fail("kubectl did not print every change within two minutes") }
report("watch throughput", serin: Double(changeCount) / seconds(serinWatch), reference: Double(changeCount) / kubectlWatch,
       unit: "events/s", referenceName: "kubectl get --watch", higherIsBetter: true)
try await emulator.stop()
