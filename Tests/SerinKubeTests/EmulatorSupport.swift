import Foundation
import KubeEmulator
import Logging
import SerinCore
import SerinKube
import Testing

enum Quiet {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Starts an emulator, hands a client configured through a kubeconfig the emulator wrote, and stops it afterwards.
func withEmulator(_ options: KubeEmulatorOptions = KubeEmulatorOptions(), token: String? = nil, namespace: String = "default",
                  _ body: (KubeEmulator, KubeClient, ScratchDirectory) async throws -> Void) async throws {
    let emulator = try await KubeEmulator.start(options, logger: Quiet.logger)
    let scratch = try ScratchDirectory()
    do {
        let path = scratch.path + "/kubeconfig"
        try emulator.writeKubeconfig(to: path, token: token, namespace: namespace)
        var configuration = try KubeConfiguration.kubeconfig(path: path)
        configuration.requestTimeout = .seconds(20)
        let client = KubeClient(configuration: configuration, logger: Quiet.logger)
        try await body(emulator, client, scratch)
    } catch {
        try await emulator.stop()
        throw error
    }
    try await emulator.stop()
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
                _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}

func configMap(_ name: String, data: [String: JSONValue] = [:], labels: [String: JSONValue] = [:]) -> JSONValue {
    ["metadata": ["name": .string(name), "labels": .object(labels)], "data": .object(data)]
}

/// Retries an API call through injected server errors and throttling.
func retrying<T>(_ attempts: Int = 50, _ body: () async throws(KubeError) -> T) async throws -> T {
    var last: KubeError = .transport("never tried")
    for _ in 0..<attempts {
        do throws(KubeError) {
            return try await body()
        } catch {
            guard error.isRetryable else { throw error }
            last = error
            try await Task.sleep(for: .milliseconds(20))
        }
    }
    throw last
}
