/// A failure of the test harness itself (a server that did not start, data that never arrived), with the server's
/// log when there is one. Shared by every test target that starts servers or processes.
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
