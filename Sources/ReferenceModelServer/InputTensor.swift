import SerinCore

/// Tensor element types this server accepts. Other Open Inference Protocol types (INT64, BYTES, …) are refused with
/// a 400, so a client sending the wrong type learns it instead of getting silently converted numbers.
public enum TensorDatatype: String, Sendable, Hashable, CaseIterable {
    case fp32 = "FP32"
    case fp64 = "FP64"
}

/// One decoded input tensor: its data flattened to row-major order, as the protocol defines it whichever way the
/// client nested it. FP32 values are rounded to Float first, so a prediction is what a float32 client would get.
public struct InputTensor: Sendable, Hashable {
    public var name: String
    public var datatype: TensorDatatype
    public var shape: [Int]
    public var values: [Double]

    public init(name: String, datatype: TensorDatatype, shape: [Int], values: [Double]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.values = values
    }

    /// The most elements one tensor may hold: far above a test's batch, far below what would exhaust memory.
    public static let maximumElementCount = 10_000_000

    /// Reads `data` against `shape`: either a flat list of exactly as many numbers as the shape holds, or lists
    /// nested exactly as the shape says. `field` (e.g. `inputs[0].data`) names places in errors.
    static func flatten(_ data: JSONValue, shape: [Int], datatype: TensorDatatype, input: String,
                        field: String) throws(InferenceRequestError) -> [Double]
    {
        guard case .array(let items) = data else {
            throw .invalidField(field: field, found: ModelFile.shortJSON(data), expected: "a list of numbers")
        }
        let elementCount = shape.reduce(1, *)
        var values: [Double] = []
        values.reserveCapacity(elementCount)
        let isFlat = !items.contains { $0.arrayValue != nil }
        if isFlat {
            guard items.count == elementCount else {
                throw .dataCount(input: input, shape: shape, found: items.count)
            }
            for (index, item) in items.enumerated() {
                values.append(try element(item, datatype: datatype, field: "\(field)[\(index)]"))
            }
            return values
        }
        try appendNested(items, depth: 0, shape: shape, datatype: datatype, field: field, into: &values)
        return values
    }

    private static func appendNested(_ items: [JSONValue], depth: Int, shape: [Int], datatype: TensorDatatype,
                                     field: String, into values: inout [Double]) throws(InferenceRequestError)
    {
        guard depth < shape.count, items.count == shape[depth] else {
            let expected = depth < shape.count
                ? "a list of \(shape[depth]) (shape \(InferenceRequestError.format(shape)))"
                : "a number (shape \(InferenceRequestError.format(shape)))"
            throw .invalidField(field: field, found: "a list of \(items.count)", expected: expected)
        }
        let isLastDimension = depth == shape.count - 1
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            if isLastDimension {
                values.append(try element(item, datatype: datatype, field: itemField))
            } else if case .array(let nested) = item {
                try appendNested(nested, depth: depth + 1, shape: shape, datatype: datatype, field: itemField,
                                 into: &values)
            } else {
                throw .invalidField(field: itemField, found: ModelFile.shortJSON(item),
                                    expected: "a list of \(shape[depth + 1]) (shape \(InferenceRequestError.format(shape)))")
            }
        }
    }

    private static func element(_ value: JSONValue, datatype: TensorDatatype,
                                field: String) throws(InferenceRequestError) -> Double
    {
        guard let number = ModelFile.number(value) else {
            throw .invalidField(field: field, found: ModelFile.shortJSON(value), expected: "a number")
        }
        switch datatype {
        case .fp64:
            return number
        case .fp32:
            let single = Float(number)
            guard single.isFinite else { throw .outOfFP32Range(field: field, value: number) }
            return Double(single)
        }
    }
}
