/// How a drain ended: every request on the drained versions finished, or the timeout passed first.
public struct DrainResult: Sendable, Hashable, CustomStringConvertible {
    /// Requests still in flight per drained version when the drain returned; empty when all finished.
    public var remaining: [String: Int]

    public init(remaining: [String: Int]) {
        self.remaining = remaining.filter { $0.value > 0 }
    }

    /// Whether no request was left on the drained versions: their processes can stop without cutting one off.
    public var isComplete: Bool { remaining.isEmpty }

    public var description: String {
        isComplete
            ? "drained"
            : "timed out with requests in flight: "
                + remaining.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}
