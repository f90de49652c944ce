import SerinCore

/// An Open Inference Protocol v2 infer response:
/// `{"model_name", "model_version", "id", "outputs": [{"name", "shape", "datatype", "data"}]}`, the shape MLServer
/// answers with, so the same clients and tests read both.
public struct InferenceResponse: Sendable, Hashable {
    public var modelName: String
    public var modelVersion: String
    public var id: String
    public var outputs: [OutputTensor]

    public init(modelName: String, modelVersion: String, id: String, outputs: [OutputTensor]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.outputs = outputs
    }

    public var json: JSONValue {
        .object([
            "model_name": .string(modelName),
            "model_version": .string(modelVersion),
            "id": .string(id),
            "outputs": .array(outputs.map(\.json)),
        ])
    }
}

/// One output tensor: always FP64, flat, row-major.
public struct OutputTensor: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var data: [Double]

    public init(name: String, shape: [Int], data: [Double]) {
        self.name = name
        self.shape = shape
        self.data = data
    }

    public var json: JSONValue {
        .object([
            "name": .string(name),
            "shape": .array(shape.map { .integer(Int64($0)) }),
            "datatype": .string(TensorDatatype.fp64.rawValue),
            "data": .array(data.map { .double($0) }),
        ])
    }
}
