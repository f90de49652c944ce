import Foundation

/// A process the CLI tests start (`serin`, `kube-emulator`, kubectl), its output in a log file the test reads as it
/// grows. When dropped it is stopped with `stopSignal` and waited for, so no test leaves one behind: SIGKILL by
/// default, SIGTERM for a `serin run --runtime local`, whose shutdown stops the model servers it started.
final class LoggedProcess {
    let process = Process()
    let log: URL
    private let stopSignal: Int32

    init(_ executable: URL, arguments: [String], environment: [String: String], log: URL, stopSignal: Int32 = SIGKILL) throws {
        self.log = log
        self.stopSignal = stopSignal
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
    }

    var text: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits until the log has a line containing `needle`; returns that line.
    func line(containing needle: String, within limit: Duration = .seconds(60)) async -> String? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let line = text.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            if !process.isRunning { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return text.split(separator: "\n").first(where: { $0.contains(needle) }).map(String.init)
    }

    /// The number right after `prefix` in the log, such as a port the process chose.
    func port(after prefix: String) async -> Int? {
        guard let line = await line(containing: prefix), let range = line.range(of: prefix) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// SIGKILL, as a crashed node or an OOM kill: no shutdown path runs.
    func kill() {
        stop(with: SIGKILL)
    }

    private func stop(with signal: Int32) {
        guard process.isRunning else { return }
        _ = Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit { stop(with: stopSignal) }
}
