import Foundation

/// `promtool check metrics` (Debian's prometheus package, installed by scripts/install-dependencies.sh) on an
/// exposition: Prometheus's own parser and linter, so the output is checked by what will scrape it.
enum Promtool {
    struct Result: Sendable {
        var status: Int32
        var output: String
    }

    static var path: String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func checkMetrics(_ exposition: [UInt8]) async throws -> Result {
        guard let path else {
            throw PromtoolMissing()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            input.fileHandleForWriting.write(Data(exposition))
            try? input.fileHandleForWriting.close()
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(status: status, output: text)
    }

    struct PromtoolMissing: Error, CustomStringConvertible {
        var description: String { "promtool is not installed; run scripts/install-dependencies.sh (Debian's prometheus package)" }
    }
}
