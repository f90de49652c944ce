/// A failure of the test harness itself (a server that did not start, data that never arrived), with the server's
/// log when there is one. The process helpers beside it are copies of SerinGitTests' (test targets share no code).
struct HarnessError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
