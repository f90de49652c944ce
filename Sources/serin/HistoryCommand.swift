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

    func validate() throws {
        guard DeploymentKey(argument: model) != nil else {
            throw ValidationError("the model must be NAMESPACE/NAME, both DNS-1123 labels; found \"\(model)\"")
        }
    }

    func run() async throws {
        guard let key = DeploymentKey(argument: model) else { return }
        let entries = try await ledger.read { reader throws(GitError) in try await reader.history(of: key) }
        print(output.render(entries), terminator: "")
    }
}

extension HistoryFormat: ExpressibleByArgument {}
