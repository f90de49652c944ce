import ArgumentParser
import Foundation

/// The `serin` command line: a thin layer that reads input, calls the libraries and maps outcomes to exit codes.
///
/// Exit codes are part of the interface: 0 success, 1 the input is invalid, 2 the command was used wrongly
/// (ArgumentParser's own 64 for usage errors is mapped to 2, the convention of diff, grep and kubectl).
struct SerinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin",
        abstract: "GitOps for machine-learning model deployments.",
        discussion: "Serin watches a Git repository of ModelDeployments, rolls every new model version out as a canary gated on its health, and records each rollout transition as a Git commit.",
        version: SerinVersion.current,
        subcommands: [RunCommand.self, ValidateCommand.self, PlanCommand.self, StatusCommand.self, HistoryCommand.self]
    )

    static func runAsMain() async -> Never {
        // The command that was parsed: a usage error its `run` throws is told with that subcommand's usage line,
        // not the top-level one.
        var parsedType: any ParsableCommand.Type = Self.self
        do {
            var command = try parseAsRoot()
            parsedType = type(of: command)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let failure as OperationFailure {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            Foundation.exit(Exit.usage.rawValue)
        } catch {
            let code = parsedType.exitCode(for: error)
            var message = parsedType.fullMessage(for: error)
            if let failure = error as? ValidationError, parsedType != Self.self {
                let name = "serin \(parsedType.configuration.commandName ?? "")"
                message = "Error: \(failure.message)\nUsage: \(usageString(for: parsedType))\n"
                    + "  See '\(name) --help' for more information."
            }
            if !message.isEmpty {
                if code == .success {
                    print(message)
                } else {
                    FileHandle.standardError.write(Data((message + "\n").utf8))
                }
            }
            Foundation.exit(code == .validationFailure ? Exit.usage.rawValue : code.rawValue)
        }
    }
}

enum SerinVersion {
    static let current = "0.1.0-dev"
}

/// Exit codes every subcommand shares.
enum Exit {
    static let invalid = ExitCode(1)
    static let usage = ExitCode(2)
}
