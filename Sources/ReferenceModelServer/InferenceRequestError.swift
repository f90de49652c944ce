import SerinCore

/// Why an infer request was refused (HTTP 400). Each description names the field and what was expected, so a
/// client author can fix the request from the answer alone.
public enum InferenceRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    case notAnObject
    /// A field is missing or holds the wrong thing. `field` is a path such as `inputs[0].shape`; `found` is
    /// "missing" or the value as (short) JSON.
    case invalidField(field: String, found: String, expected: String)
    /// The model takes one input tensor; the request had this many.
    case inputCount(Int)
    case unsupportedDatatype(input: String, datatype: String)
    /// The shape does not fit the model's `[batch, features]`.
    case shapeMismatch(input: String, shape: [Int], featureCount: Int)
    /// A flat data list whose length is not the number of elements the shape holds.
    case dataCount(input: String, shape: [Int], found: Int)
    /// A finite number that an FP32 tensor cannot hold.
    case outOfFP32Range(field: String, value: Double)
    case unknownOutput(name: String, available: [String])
    case bodyTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .invalidJSON(let error):
            return "the request body is not valid JSON: \(error)"
        case .notAnObject:
            return #"the request body must be a JSON object with an "inputs" list (Open Inference Protocol v2)"#
        case .invalidField(let field, let found, let expected):
            return found == "missing" ? "\(field) is missing: expected \(expected)"
                : "\(field) is \(found): expected \(expected)"
        case .inputCount(let count):
            return "this model takes exactly one input tensor, the request has \(count)"
        case .unsupportedDatatype(let input, let datatype):
            return "input \"\(input)\" has datatype \(datatype): this model takes FP32 or FP64"
        case .shapeMismatch(let input, let shape, let featureCount):
            return "input \"\(input)\" has shape \(Self.format(shape)): this model takes shape [batch, \(featureCount)]"
        case .dataCount(let input, let shape, let found):
            let expected = shape.reduce(1, *)
            return "input \"\(input)\" has shape \(Self.format(shape)), which holds \(expected) values, "
                + "but its data has \(found)"
        case .outOfFP32Range(let field, let value):
            return "\(field) is \(value), outside the FP32 range: send FP64 for such values"
        case .unknownOutput(let name, let available):
            let names = available.map { "\"\($0)\"" }.joined(separator: ", ")
            return "output \"\(name)\" does not exist: this model outputs \(names)"
        case .bodyTooLarge(let limit):
            return "the request body is over \(limit / (1024 * 1024)) MiB: send smaller batches"
        }
    }

    static func format(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
