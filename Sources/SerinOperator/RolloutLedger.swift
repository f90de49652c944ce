import Logging
import SerinCore
import SerinGit

/// The rollout statuses, as the ledger holds them: read from the status branch once at start, then kept in memory
/// and written through on every transition. The ledger is the only memory the rollout machine has, so a status is
/// updated here only after its commit was pushed.
public actor RolloutLedger {
    private let writer: LedgerWriter
    private let reader: LedgerReader
    private var statuses: [DeploymentKey: RolloutStatus] = [:]
    private var loaded = false
    private let logger: Logger

    public init(writer: LedgerWriter, reader: LedgerReader, logger: Logger = Logger(label: "serin.operator.ledger")) {
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    /// Reads every status from the branch's tip; later calls return at once.
    public func load() async throws(GitError) {
        guard !loaded else { return }
        statuses = try await reader.statuses()
        loaded = true
        logger.info("read the ledger", metadata: ["models": "\(statuses.count)", "branch": "\(reader.branch)"])
    }

    public func status(of key: DeploymentKey) -> RolloutStatus? { statuses[key] }

    /// Every model the ledger knows, including Removed and Failed ones.
    public var keys: Set<DeploymentKey> { Set(statuses.keys) }

    /// Pushes ledger commits an earlier failed push left queued: called on shutdown, so nothing recorded is lost.
    public func flush() async throws(GitError) {
        try await writer.flush()
    }

    /// Commits the transition and pushes it; the status is held only once that succeeded.
    public func record(_ status: RolloutStatus) async throws(GitError) {
        _ = try await writer.write(LedgerRecord(status: status, after: statuses[status.key]))
        statuses[status.key] = status
    }
}
