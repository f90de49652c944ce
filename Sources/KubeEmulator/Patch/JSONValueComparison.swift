import SerinCore

extension JSONValue {
    /// This value with every integral fraction written as an integer (`3.0` becomes `3`), recursively, so that
    /// `==` and hashing compare numbers by value as RFC 6902 (section 4.6) and Go's `float64` decoding do, while
    /// `.integer` and `.double` stay distinct cases in the document itself.
    var numericallyNormalized: JSONValue {
        switch self {
        case .double(let value):
            if value == value.rounded(), abs(value) < 9.2e18 { return .integer(Int64(value)) }
            return self
        case .array(let items):
            return .array(items.map(\.numericallyNormalized))
        case .object(let members):
            return .object(members.mapValues(\.numericallyNormalized))
        case .null, .bool, .integer, .string:
            return self
        }
    }

    /// Equality in the sense of RFC 6902 section 4.6: numbers equal by value, objects equal regardless of member
    /// order, arrays equal element by element in order.
    func isEqual(toJSON other: JSONValue) -> Bool {
        numericallyNormalized == other.numericallyNormalized
    }

    /// The name of the Go kind `encoding/json` decodes this value into (`map`, `slice`, `string`, `float64`,
    /// `bool`, `nil`), for error messages that read like apimachinery's.
    var goKindName: String {
        switch self {
        case .null: return "nil"
        case .bool: return "bool"
        case .integer, .double: return "float64"
        case .string: return "string"
        case .array: return "slice"
        case .object: return "map"
        }
    }

    /// Whether two values decode to the same Go type (numbers are all `float64`); strategic merge patch replaces a
    /// field outright when the patch and the live value differ in type.
    func hasSameGoKind(as other: JSONValue) -> Bool { goKindName == other.goKindName }
}
