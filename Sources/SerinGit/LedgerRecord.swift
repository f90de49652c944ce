/// One transition to write to the ledger: a file's new content and the commit message recording why.
public struct LedgerRecord: Sendable, Hashable {
    /// The file's path in the status branch, e.g. `status/ml-prod/fraud-detector.yaml`.
    public var path: String
    public var content: [UInt8]
    public var message: String
    /// When the transition happened, in seconds since the Unix epoch: the commit's time. Time is an input, so
    /// ledgers written in tests are reproducible.
    public var time: Int64

    public init(path: String, content: [UInt8], message: String, time: Int64) {
        self.path = path
        self.content = content
        self.message = message
        self.time = time
    }
}
