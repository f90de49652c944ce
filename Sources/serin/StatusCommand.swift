import ArgumentParser
import Foundation
import SerinCore
import SerinGit

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print where each model's rollout stands, from the ledger on the status branch.",
        discussion: "One line per model the ledger knows: phase, stable and canary versions, the canary's traffic weight, the last transition's time and its reason. `serin history` gives one model's whole timeline."
    )

    @Argument(help: "Models to show, as NAMESPACE/NAME; every model when none is given.")
    var models: [String] = []

    @OptionGroup var ledger: LedgerOptions

    @Option(name: [.customShort("o"), .long], help: "Output format: text or json.")
    var output: StatusFormat = .text

    func validate() throws {
        for model in models where DeploymentKey(argument: model) == nil {
            throw ValidationError("each model must be NAMESPACE/NAME, both DNS-1123 labels; found \"\(model)\"")
        }
    }

    func run() async throws {
        let statuses = try await ledger.read { reader throws(GitError) in try await reader.statuses() }
        let statusBranch = ledger.statusBranch
        let wanted = models.compactMap { DeploymentKey(argument: $0) }
        if let missing = wanted.first(where: { statuses[$0] == nil }) {
            let known = statuses.keys.sorted().map(\.description)
            throw OperationFailure(description: "no status for \(missing) on \(statusBranch): "
                + (known.isEmpty ? "Serin has recorded no rollout there yet" : "the models with one are \(known.joined(separator: ", "))"))
        }
        let shown = wanted.isEmpty ? Array(statuses.values) : wanted.compactMap { statuses[$0] }
        if shown.isEmpty, output == .text {
            FileHandle.standardError.write(Data("no rollout recorded on \(statusBranch) yet\n".utf8))
        }
        print(output.render(shown), terminator: "")
    }
}

extension StatusFormat: ExpressibleByArgument {}
