/// Durations as flags spell them (`50ms`, `1.5s`, `2m`): the Go and Kubernetes spelling that Serin's specs use, so
/// `--latency` reads like the gate thresholds it is meant to trip.
public enum DurationText {
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var text: String

        public init(text: String) {
            self.text = text
        }

        public var description: String {
            "\"\(text)\" is not a duration: write a number and a unit, such as 50ms, 1.5s or 2m (units: ns, us, ms, s, m, h)"
        }
    }

    private static let nanosecondsPerUnit: [(unit: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// Parses one number with one unit; a bare `0` is zero. Negative and non-finite values are refused.
    public static func parse(_ text: String) throws(ParseError) -> Duration {
        let trimmed = text.trimmingWhitespace
        if trimmed == "0" { return .zero }
        let numberEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        let unit = String(trimmed[numberEnd...])
        guard let value = Double(trimmed[..<numberEnd]), value.isFinite, value >= 0,
              let scale = nanosecondsPerUnit.first(where: { $0.unit == unit })?.nanoseconds,
              value * scale < 9e18
        else {
            throw ParseError(text: text)
        }
        return .nanoseconds(Int64((value * scale).rounded()))
    }

    /// A short spelling for logs: `50ms`, `1.5s`, `0s`.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds == 0 { return "0s" }
        if seconds < 1 { return "\(trim(seconds * 1000))ms" }
        return "\(trim(seconds))s"
    }

    private static func trim(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
    }
}

extension Duration {
    /// The duration in seconds, as Prometheus records durations.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension String {
    var trimmingWhitespace: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
