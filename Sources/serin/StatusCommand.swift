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

    @OptionGroup var remote: RemoteOptions

    @Option(help: "The branch holding the ledger.")
    var statusBranch: String = "serin/status"

    @Option(name: [.customShort("o"), .long], help: "Output format: text or json.")
    var output: StatusFormat = .text

    func validate() throws {
        for model in models where Self.key(model) == nil {
            throw ValidationError("each model must be NAMESPACE/NAME, both DNS-1123 labels; found \"\(model)\"")
        }
    }

    static func key(_ model: String) -> DeploymentKey? {
        let parts = model.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy({ Names.dnsLabelProblem($0) == nil }) else { return nil }
        return DeploymentKey(namespace: parts[0], name: parts[1])
    }

    func run() async throws {
        let statuses: [DeploymentKey: RolloutStatus]
        let gitRemote = try remote.remote()
        do throws(GitError) {
            let mirror = try await GitMirror(remote: gitRemote, cacheDirectory: remote.cacheDirectory)
            statuses = try await LedgerReader(mirror: mirror, branch: statusBranch).statuses()
        } catch {
            throw OperationFailure(description: error.description)
        }
        let wanted = models.compactMap(Self.key)
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
