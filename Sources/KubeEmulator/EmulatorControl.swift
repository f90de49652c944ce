/// The emulator's test-controlled settings and its request log, apart from the object store so that a test
/// changing faults never waits behind storage work.
actor EmulatorControl {
    var acceptedTokens: Set<String>
    let unprivilegedUsers: [String: String]
    var faults = EmulatorFaults()
    var records: [EmulatorRequestRecord] = []
    /// Connections accepted so far (TCP, before any TLS handshake), so tests can see whether clients reuse them.
    private(set) var acceptedConnections = 0

    /// Who a request comes from, as far as authentication and authorization go.
    enum Caller: Sendable, Equatable {
        /// Authenticated with full access (or authentication is off).
        case privileged
        /// Authenticated, but forbidden every resource request.
        case unprivileged(user: String)
        /// No or an unknown bearer token: 401.
        case unauthenticated
    }

    init(acceptedTokens: Set<String>, unprivilegedUsers: [String: String] = [:]) {
        self.acceptedTokens = acceptedTokens
        self.unprivilegedUsers = unprivilegedUsers
    }

    func setAcceptedTokens(_ tokens: Set<String>) { acceptedTokens = tokens }
    func setFaults(_ faults: EmulatorFaults) { self.faults = faults }
    func record(_ record: EmulatorRequestRecord) { records.append(record) }

    /// Counts a new connection and returns its number (from 1), which the requests it carries are recorded with.
    func connectionAccepted() -> Int {
        acceptedConnections += 1
        return acceptedConnections
    }

    /// Who an `Authorization` header value stands for.
    func caller(_ authorization: String?) -> Caller {
        if acceptedTokens.isEmpty && unprivilegedUsers.isEmpty { return .privileged }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return .unauthenticated }
        let token = String(authorization.dropFirst("Bearer ".count))
        if acceptedTokens.contains(token) { return .privileged }
        if let user = unprivilegedUsers[token] { return .unprivileged(user: user) }
        return .unauthenticated
    }
}
