import SerinCore

/// Renders a JSON value the way Go's `fmt` `%v` prints the `interface{}` tree `encoding/json` decodes it into
/// (`map[a:1 b:[x y]]`, `<nil>`, `1e+06`), so strategic merge patch errors carry the same text as
/// kube-apiserver's (for instance `map: map[image:x] does not contain declared merge key: name`).
enum GoValueFormat {
    static func string(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return float(Double(number))
        case .double(let number): return float(number)
        case .string(let text): return text
        case .array(let items): return "[" + items.map(string).joined(separator: " ") + "]"
        case .object(let members):
            let pairs = members.keys.sorted().map { key in key + ":" + string(members[key] ?? .null) }
            return "map[" + pairs.joined(separator: " ") + "]"
        }
    }

    static func string(_ values: [JSONValue]) -> String { string(.array(values)) }

    /// `%v` of a float64 (strconv's shortest `%g`): whole numbers print plainly below 1e6 and in exponent form
    /// from there (`1e+06`, `1.234567e+06`); fractions print in their shortest form.
    private static func float(_ number: Double) -> String {
        guard number.isFinite else { return number.isNaN ? "NaN" : (number > 0 ? "+Inf" : "-Inf") }
        guard number == number.rounded(), abs(number) < 1e18 else { return "\(number)" }
        let magnitude = abs(number)
        let sign = number < 0 ? "-" : ""
        let digits = String(UInt64(magnitude))
        let exponent = digits.count - 1
        guard exponent >= 6 else { return sign + digits }
        var significant = Substring(digits)
        while significant.count > 1, significant.last == "0" { significant = significant.dropLast() }
        let mantissa = significant.count > 1
            ? String(significant.prefix(1)) + "." + String(significant.dropFirst())
            : String(significant)
        let exponentText = exponent < 10 ? "0\(exponent)" : "\(exponent)"
        return sign + mantissa + "e+" + exponentText
    }
}
