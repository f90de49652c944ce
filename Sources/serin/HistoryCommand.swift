import ArgumentParser
import Foundation
import SerinCore
import SerinGit

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print a model's rollout timeline from the ledger on the status branch.",
        discussion: "Each transition Serin recorded, oldest first: time, phase, traffic weight, version, gate values and the desired commit."
    )

    @Argument(help: "The model, as NAMESPACE/NAME.")
    var model: String

    @OptionGroup var ledger: LedgerOptions

    @Option(name: [.customShort("o"), .long], help: "Output format: text, wide (text with each transition's reason below it) or json.")
    var output: HistoryFormat = .text

    @Option(name: [.customShort("n"), .long], help: "Only the last N transitions, still oldest first (default: all of them).")
    var last: Int?

    func validate() throws {
        guard DeploymentKey(argument: model) != nil else {
            throw ValidationError("the model must be NAMESPACE/NAME, both DNS-1123 labels; found \"\(model)\"")
        }
        if let last, last < 1 {
            throw ValidationError("--last must be a whole number of at least 1, not \(last)")
        }
    }

    func run() async throws {
        guard let key = DeploymentKey(argument: model) else { return }
        let entries = try await ledger.read { reader throws(GitError) in try await reader.history(of: key) }
        print(output.render(entries, last: last), terminator: "")
    }
}

extension HistoryFormat: ExpressibleByArgument {}
