import KubeEmulator

/// An emulator for one test, stopped at the end of `withEmulator`.
struct KubeEmulatorHandle {
    let emulator: KubeEmulator
    var http: EmulatorHTTPClient { EmulatorHTTPClient(baseURL: emulator.baseURL) }

    struct WatchNeverOpened: Error {}

    /// Waits until a client's watch on `collection` has been answered, and so registered with the store: a change
    /// made after that reaches the client as a MODIFIED event. Sleeping instead races a slow client start on a
    /// loaded machine, and `kubectl get NAME --watch` skips the first event, so a change that lands between its GET
    /// and its watch is never printed (against a real server too).
    func waitForWatch(on collection: String, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let watches = await emulator.requests().filter { $0.path == collection && $0.query.contains("watch=true") }
            if !watches.isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw WatchNeverOpened()
    }
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
