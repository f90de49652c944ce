import ArgumentParser
import Foundation
import SerinCore
import SerinGit

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what merging one revision onto another would do to each model.",
        discussion: """
        Compares the ModelDeployments at two revisions and prints, per model: created, new version (the canary it \
        starts), scaled, reconfigured, removed (pruned or kept), or invalid with the located errors. Exits 0 when the \
        target revision is valid, 1 when it is not, 2 on usage errors or when the repository cannot be read.
        """
    )

    @OptionGroup var remote: RemoteOptions

    @Option(help: "The deployments directory in the repository.")
    var path: String = "deployments"

    @Option(help: "The revision merged into (a branch or commit).")
    var from: String

    @Option(help: "The revision being merged (a branch or commit).")
    var to: String

    @Option(name: [.customShort("o"), .long], help: "Output format: text, json or markdown (for a pull-request comment).")
    var output: PlanFormat = .text

    func run() async throws {
        let plan: Plan
        let gitRemote = try remote.remote()
        do throws(GitError) {
            let mirror = try await GitMirror(remote: gitRemote, cacheDirectory: remote.cacheDirectory)
            try await mirror.fetchAllBranches()
            let fromCommit = try await mirror.resolve(from)
            let toCommit = try await mirror.resolve(to)
            let before = try await mirror.desiredState(at: fromCommit, root: path)
            let after = try await mirror.desiredState(at: toCommit, root: path)
            plan = Plan(from: before, to: after)
        } catch {
            throw OperationFailure(description: error.description)
        }
        print(output.render(plan, fromLabel: from, toLabel: to), terminator: "")
        if !plan.isValid { throw Exit.invalid }
    }
}

extension PlanFormat: ExpressibleByArgument {}
