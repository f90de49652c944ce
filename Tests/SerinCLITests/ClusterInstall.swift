import Foundation

/// The repository's install files (manifests/, Dockerfile) and the real kubectl on them, for the in-cluster tests.
enum ClusterInstall {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let manifests = root.appendingPathComponent("manifests")

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a program to completion; its status and its standard output and error together.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// kubectl on `world`'s emulator without a default namespace, as an administrator installs with it.
    static func kubectl(_ world: KubernetesRunTests.World, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try run("/usr/bin/kubectl", ["--kubeconfig", world.kubeconfig, "--cache-dir",
                                     world.repository.root.appendingPathComponent("kubecache-admin").path] + arguments)
    }

    /// An object from `world`'s emulator as JSON.
    static func object(_ world: KubernetesRunTests.World, _ arguments: String...) throws -> [String: Any] {
        let result = try kubectl(world, ["get"] + arguments + ["-o", "json"])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw Failure(description: "kubectl get \(arguments.joined(separator: " ")): \(result.output)")
        }
        return object
    }
}

/// A path into decoded JSON: `json["spec", "template", "spec"]`.
extension Dictionary where Key == String, Value == Any {
    subscript(path: String...) -> Any? {
        var current: Any? = self
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}
