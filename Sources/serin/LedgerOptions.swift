import ArgumentParser
import SerinCore
import SerinGit

/// Where the commands that read the ledger (`status`, `history`) find it: the repository and its status branch.
struct LedgerOptions: ParsableArguments {
    @OptionGroup var remote: RemoteOptions

    @Option(help: "The branch holding the ledger.")
    var statusBranch: String = "serin/status"

    /// Reads the ledger on Serin's own mirror of the repository; Git's errors become the command's.
    func read<Value>(_ body: (LedgerReader) async throws(GitError) -> Value) async throws -> Value {
        let gitRemote = try remote.remote()
        do throws(GitError) {
            let mirror = try await GitMirror(remote: gitRemote, cacheDirectory: remote.cacheDirectory)
            return try await body(LedgerReader(mirror: mirror, branch: statusBranch))
        } catch {
            throw OperationFailure(description: error.description)
        }
    }
}

extension DeploymentKey {
    /// A model named on the command line as `NAMESPACE/NAME`; nil unless both are DNS-1123 labels.
    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy({ Names.dnsLabelProblem($0) == nil }) else { return nil }
        self.init(namespace: parts[0], name: parts[1])
    }
}
