import KubeEmulator

/// An emulator for one test, stopped at the end of `withEmulator`.
struct KubeEmulatorHandle {
    let emulator: KubeEmulator
    var http: EmulatorHTTPClient { EmulatorHTTPClient(baseURL: emulator.baseURL) }
}

func withEmulator<T>(_ options: KubeEmulatorOptions = KubeEmulatorOptions(),
                     _ body: (KubeEmulatorHandle) async throws -> T) async throws -> T
{
    let emulator = try await KubeEmulator.start(options)
    do {
        let result = try await body(KubeEmulatorHandle(emulator: emulator))
        try await emulator.stop()
        return result
    } catch {
        try? await emulator.stop()
        throw error
    }
}
