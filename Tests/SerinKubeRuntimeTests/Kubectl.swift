import Foundation
import KubeEmulator

/// Runs the real kubectl against an emulator, with its own kubeconfig and discovery cache: what the user's kubectl
/// sees and does is what these tests check and do.
struct Kubectl {
    static let path = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    let directory: String
    let kubeconfig: String

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    struct NotInstalled: Error, CustomStringConvertible {
        var description: String { "kubectl is not installed: run `make test` (scripts/install-dependencies.sh installs it)" }
    }

    static func make(for emulator: KubeEmulator) throws -> Kubectl {
        let directory = NSTemporaryDirectory() + "serin-kubectl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let kubeconfig = directory + "/kubeconfig"
        try emulator.writeKubeconfig(to: kubeconfig, token: nil, namespace: RuntimeHarness.namespace)
        return Kubectl(directory: directory, kubeconfig: kubeconfig)
    }

    func manifest(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Result {
        guard let path = Self.path else { throw NotInstalled() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", directory + "/cache"] + arguments
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
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                process.terminate()
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        try output.close()
        try error.close()
        return Result(status: process.terminationStatus,
                      output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
                      error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }

    /// Runs kubectl and fails the test when it fails.
    @discardableResult
    func succeed(_ arguments: [String]) async throws -> String {
        let result = try await run(arguments)
        guard result.status == 0 else {
            throw TestFailure("kubectl \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.error)")
        }
        return result.output
    }
}
