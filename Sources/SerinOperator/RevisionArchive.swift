import Logging
import SerinCore
import SerinGit

/// Where a runtime finds the spec of a revision the desired state no longer describes, such as the stable version
/// of a canary, when its own record is gone (a deleted state directory, a hand-deleted Deployment). Without it that
/// revision could not be started again and the model would stay stuck.
public protocol RevisionArchive: Sendable {
    /// The document of `key` whose serving revision has `digest`, or nil when none is known.
    func spec(of key: DeploymentKey, digest: String) async -> ModelDeployment?
}

/// The ledger names the desired commit behind every transition, and Git keeps every commit: the revision's document
/// is read back from the desired commits of the model's ledger entries, newest first.
public struct GitRevisionArchive: RevisionArchive {
    public let mirror: GitMirror
    public let ledger: LedgerReader
    /// The deployments directory in the desired branch.
    public let root: String
    public let logger: Logger

    public init(mirror: GitMirror, ledger: LedgerReader, root: String, logger: Logger = Logger(label: "serin.operator.archive")) {
        self.mirror = mirror
        self.ledger = ledger
        self.root = root
        self.logger = logger
    }

    public func spec(of key: DeploymentKey, digest: String) async -> ModelDeployment? {
        let history: [HistoryEntry]
        do {
            history = try await ledger.history(of: key)
        } catch {
            logger.warning("cannot read the ledger to recover a revision", metadata: ["model": "\(key)", "error": "\(error)"])
            return nil
        }
        var tried: Set<String> = []
        for entry in history.reversed() where tried.insert(entry.desiredCommit).inserted {
            guard let commit = ObjectID(hex: entry.desiredCommit),
                  let state = try? await mirror.desiredState(at: commit, root: root),
                  let deployment = state.state.entries[key]?.deployment,
                  deployment.revision.digest == digest else { continue }
            logger.info("recovered a revision's spec from Git", metadata: [
                "model": "\(key)", "version": "\(deployment.spec.model.version)", "desiredCommit": "\(commit.short)",
            ])
            return deployment
        }
        return nil
    }
}
