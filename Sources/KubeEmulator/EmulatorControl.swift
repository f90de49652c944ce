/// The emulator's test-controlled settings and its request log, apart from the object store so that a test
/// changing faults never waits behind storage work.
actor EmulatorControl {
    var acceptedTokens: Set<String>
    var faults = EmulatorFaults()
    var records: [EmulatorRequestRecord] = []

    init(acceptedTokens: Set<String>) {
        self.acceptedTokens = acceptedTokens
    }

    func setAcceptedTokens(_ tokens: Set<String>) { acceptedTokens = tokens }
    func setFaults(_ faults: EmulatorFaults) { self.faults = faults }
    func record(_ record: EmulatorRequestRecord) { records.append(record) }

    /// Whether an `Authorization` header value is accepted.
    func isAuthorized(_ authorization: String?) -> Bool {
        if acceptedTokens.isEmpty { return true }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        return acceptedTokens.contains(String(authorization.dropFirst("Bearer ".count)))
    }
}
