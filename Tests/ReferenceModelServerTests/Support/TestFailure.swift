/// A failure of the test harness itself, with what went wrong (and a server's log when there is one).
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
