/// A length of time written the way Kubernetes users write it: `30s`, `5m`, `1h30m`, `250ms`, `1.5m`.
///
/// Stored in whole milliseconds, the finest unit the spec needs. Named apart from `Swift.Duration`, which it
/// converts to, because this is the spec's notation, not a clock's.
public struct SpecDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func seconds(_ seconds: Int64) -> SpecDuration { SpecDuration(milliseconds: seconds * 1_000) }
    public static func minutes(_ minutes: Int64) -> SpecDuration { .seconds(minutes * 60) }

    public var duration: Duration { .milliseconds(milliseconds) }

    public static func < (lhs: SpecDuration, rhs: SpecDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }

    private static let units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]

    /// Parses a sequence of decimal numbers each followed by a unit (`ms`, `s`, `m`, `h`). Nil when malformed,
    /// when a unit is missing, or when the result is not a whole number of milliseconds below 10,000 hours.
    public init?(parsing text: String) {
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != ".",
                  let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = Self.units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * Double(unit.milliseconds)
        }
        guard total < 36_000_000_000, total == total.rounded() else { return nil }
        milliseconds = Int64(total)
    }

    /// The shortest canonical spelling: `90s` prints as `1m30s`, `0.25s` as `250ms`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds
        var text = ""
        for (suffix, size) in Self.units.reversed() where rest >= size {
            text += "\(rest / size)\(suffix)"
            rest %= size
        }
        return text
    }
}
