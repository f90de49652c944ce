/// Faults a bad model version shows, so a rollout can be seen failing its gates and rolling back: errors, slowness,
/// a crash, and a slow start. Every fault is deterministic, so tests can count exactly what they will see.
public struct FaultInjection: Sendable, Hashable {
    /// The denominator of `errorRatePerMillion`.
    public static let million = 1_000_000

    /// The share of infer requests that answer 500, in millionths. Stored as an integer so that the number of
    /// failures over n requests is exactly ⌊n·rate⌋ whatever rounding a Double would do (0.57 × 100 is 56.99…).
    public let errorRatePerMillion: Int
    /// Added before every infer answer.
    public let latency: Duration
    /// After this many infer requests the server exits with status 1 (a crash); nil never.
    public let failAfter: Int?
    /// Readiness answers 503 until this long after the start.
    public let readyAfter: Duration

    /// `errorRate` is clamped to 0…1; negative durations count as zero.
    public init(errorRate: Double = 0, latency: Duration = .zero, failAfter: Int? = nil, readyAfter: Duration = .zero) {
        let clamped = errorRate.isFinite ? min(max(errorRate, 0), 1) : 0
        errorRatePerMillion = Int((clamped * Double(Self.million)).rounded())
        self.latency = max(latency, .zero)
        self.failAfter = failAfter.map { max($0, 0) }
        self.readyAfter = max(readyAfter, .zero)
    }

    /// The error rate as given (to the nearest millionth).
    public var errorRate: Double { Double(errorRatePerMillion) / Double(Self.million) }

    /// Whether infer request number `requestNumber` (counting from 1) answers 500. Failures are spread evenly:
    /// request n fails when ⌊n·rate⌋ steps up, so 0.2 fails the 5th, 10th, 15th, …, and any n consecutive requests
    /// from the first hold exactly ⌊n·rate⌋ failures.
    public func injectsFailure(requestNumber: Int) -> Bool {
        guard errorRatePerMillion > 0, requestNumber > 0 else { return false }
        // The pattern repeats every million requests (⌊(n + 10⁶)·p/10⁶⌋ = ⌊n·p/10⁶⌋ + p), so reduce n first and
        // never overflow.
        let n = (requestNumber - 1) % Self.million + 1
        return n * errorRatePerMillion / Self.million > (n - 1) * errorRatePerMillion / Self.million
    }

    /// Whether any fault is switched on, for the start line.
    public var isEmpty: Bool {
        errorRatePerMillion == 0 && latency == .zero && failAfter == nil && readyAfter == .zero
    }

    /// "error rate 0.2, latency 50ms, fail after 10, ready after 2s": the faults that are on.
    public var summary: String {
        var parts: [String] = []
        if errorRatePerMillion > 0 { parts.append("error rate \(errorRate)") }
        if latency > .zero { parts.append("latency \(DurationText.format(latency))") }
        if let failAfter { parts.append("fail after \(failAfter) infer requests") }
        if readyAfter > .zero { parts.append("ready after \(DurationText.format(readyAfter))") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
