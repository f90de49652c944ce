/// Why an emulator could not start, in words for the person who configured it.
public struct KubeEmulatorError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) { self.description = description }
}
