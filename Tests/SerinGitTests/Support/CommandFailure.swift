import Foundation

/// A command that ran and did not succeed: a non-zero exit status, a signal, or a timeout.
/// Tests that expect a failure read `standardError` (e.g. "Authentication failed").
struct CommandFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var standardOutput: String
    var standardError: String
    var timedOut: Bool

    var description: String {
        let reason = timedOut ? "timed out" : "exited with status \(status)"
        return """
            `\(command.joined(separator: " "))` \(reason)
            stderr: \(standardError)
            stdout: \(standardOutput)
            """
    }
}
