import Foundation

/// Runs the real kubectl against an emulator, with its own kubeconfig and discovery cache, and a deadline after
/// which it is stopped (how `get --watch` is read).
struct Kubectl {
    static let path = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isInstalled: Bool { path != nil }

    let directory: String
    let kubeconfig: String

    struct Result {
        var status: Int32
        var output: String
        var error: String
        var timedOut: Bool
        /// Stopped because `until` held on its output, before the deadline.
        var stoppedWhenSatisfied: Bool = false
    }

    struct NotInstalled: Error {}

    /// A scratch directory holding the kubeconfig, the cache and manifests.
    static func make(for emulator: KubeEmulatorHandle, token: String? = nil) throws -> Kubectl {
        let directory = NSTemporaryDirectory() + "kubectl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let kubeconfig = directory + "/kubeconfig"
        try emulator.emulator.writeKubeconfig(to: kubeconfig, token: token)
        return Kubectl(directory: directory, kubeconfig: kubeconfig)
    }

    /// Writes a manifest into the scratch directory and returns its path.
    func manifest(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `environment` adds to (or overrides) the test process's own. With `until`, a command that does not end by
    /// itself (`get --watch`) is stopped as soon as its output so far satisfies it, so a test waits only as long
    /// as kubectl needs; the deadline then only bounds a failure.
    func run(_ arguments: [String], timeout: Duration = .seconds(30), environment: [String: String] = [:],
             until: (@Sendable (String) -> Bool)? = nil) async throws -> Result
    {
        guard let path = Self.path else { throw NotInstalled() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", directory + "/cache"] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let id = UUID().uuidString
        let outputPath = directory + "/out-\(id)"
        let errorPath = directory + "/err-\(id)"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        var satisfied = false
        while process.isRunning {
            if let until, until(String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)) {
                satisfied = true
                process.terminate()
                break
            }
            if ContinuousClock.now >= deadline {
                timedOut = true
                process.terminate()
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        try output.close()
        try error.close()
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "",
            timedOut: timedOut, stoppedWhenSatisfied: satisfied)
    }
}
