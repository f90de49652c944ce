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

    @OptionGroup var remote: RemoteOptions

    @Option(help: "The branch holding the ledger.")
    var statusBranch: String = "serin/status"

    @Option(name: [.customShort("o"), .long], help: "Output format: text, wide (text with each transition's reason below it) or json.")
    var output: HistoryFormat = .text

    func validate() throws {
        let parts = model.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ Names.dnsLabelProblem(String($0)) == nil }) else {
            throw ValidationError("the model must be NAMESPACE/NAME, both DNS-1123 labels; found \"\(model)\"")
        }
    }

    func run() async throws {
        let parts = model.split(separator: "/").map(String.init)
        let key = DeploymentKey(namespace: parts[0], name: parts[1])
        let entries: [HistoryEntry]
        let gitRemote = try remote.remote()
        do throws(GitError) {
            let mirror = try await GitMirror(remote: gitRemote, cacheDirectory: remote.cacheDirectory)
            entries = try await LedgerReader(mirror: mirror, branch: statusBranch).history(of: key)
        } catch {
            throw OperationFailure(description: error.description)
        }
        print(output.render(entries), terminator: "")
    }
}

extension HistoryFormat: ExpressibleByArgument {}
