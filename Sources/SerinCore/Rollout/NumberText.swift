/// Decimal numbers as reports print them: whole values without a fraction (`310`, not `310.0`), others in Swift's
/// shortest round-tripping form (`0.995`). Also valid as a JSON number for every finite value.
enum NumberText {
    static func of(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
