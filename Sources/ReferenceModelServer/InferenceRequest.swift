import SerinCore

/// An Open Inference Protocol v2 (KServe v2, MLServer REST) infer request, as far as a one-input model reads it:
/// `{"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype", "parameters"?, "data"}], "outputs"?: [{"name"}]}`.
/// Parameters are accepted and ignored, as MLServer's runtimes ignore the ones they do not know.
public struct InferenceRequest: Sendable, Hashable {
    /// Echoed in the response when given.
    public var id: String?
    public var input: InputTensor
    /// The outputs asked for by name; empty asks for every output.
    public var requestedOutputs: [String]

    public init(id: String?, input: InputTensor, requestedOutputs: [String] = []) {
        self.id = id
        self.input = input
        self.requestedOutputs = requestedOutputs
    }

    /// Decodes a request body. Only the protocol's own rules are checked here; whether the tensor fits a model is
    /// `ModelService`'s question.
    public init(decoding body: [UInt8]) throws(InferenceRequestError) {
        let document: JSONValue
        do throws(JSONParseError) {
            document = try JSONValue(parsing: body)
        } catch {
            throw .invalidJSON(error)
        }
        guard let fields = document.objectValue else { throw .notAnObject }

        if let idValue = fields["id"], !idValue.isNull {
            guard let id = idValue.stringValue else {
                throw .invalidField(field: "id", found: ModelFile.shortJSON(idValue), expected: "a string")
            }
            self.id = id
        } else {
            self.id = nil
        }

        guard let inputs = fields["inputs"]?.arrayValue else {
            throw .invalidField(field: "inputs", found: fields["inputs"].map(ModelFile.shortJSON) ?? "missing",
                                expected: "a list with one input tensor")
        }
        guard inputs.count == 1, let inputValue = inputs.first else { throw .inputCount(inputs.count) }
        input = try Self.decodeInput(inputValue, field: "inputs[0]")

        requestedOutputs = []
        if let outputsValue = fields["outputs"], !outputsValue.isNull {
            guard let outputs = outputsValue.arrayValue else {
                throw .invalidField(field: "outputs", found: ModelFile.shortJSON(outputsValue),
                                    expected: #"a list of {"name": …} objects"#)
            }
            for (index, output) in outputs.enumerated() {
                guard let name = output["name"]?.stringValue else {
                    throw .invalidField(field: "outputs[\(index)].name",
                                        found: output["name"].map(ModelFile.shortJSON) ?? "missing",
                                        expected: "the name of an output")
                }
                requestedOutputs.append(name)
            }
        }
    }

    private static func decodeInput(_ value: JSONValue, field: String) throws(InferenceRequestError) -> InputTensor {
        func missingOrWrong(_ key: String, _ expected: String) -> InferenceRequestError {
            .invalidField(field: "\(field).\(key)", found: value[key].map(ModelFile.shortJSON) ?? "missing",
                          expected: expected)
        }
        guard value.objectValue != nil else {
            throw .invalidField(field: field, found: ModelFile.shortJSON(value),
                                expected: #"an object with "name", "shape", "datatype" and "data""#)
        }
        guard let name = value["name"]?.stringValue else { throw missingOrWrong("name", "a string") }
        guard let datatypeName = value["datatype"]?.stringValue else {
            throw missingOrWrong("datatype", #""FP32" or "FP64""#)
        }
        guard let datatype = TensorDatatype(rawValue: datatypeName) else {
            throw .unsupportedDatatype(input: name, datatype: datatypeName)
        }
        guard let shapeValues = value["shape"]?.arrayValue else {
            throw missingOrWrong("shape", "a list of dimensions such as [1, 4]")
        }
        var shape: [Int] = []
        var elementCount = 1
        for (index, dimensionValue) in shapeValues.enumerated() {
            guard let dimension = dimensionValue.integerValue, dimension >= 0, dimension <= Int64(Int.max) else {
                throw .invalidField(field: "\(field).shape[\(index)]", found: ModelFile.shortJSON(dimensionValue),
                                    expected: "a dimension of 0 or more")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow, product <= InputTensor.maximumElementCount else {
                throw .invalidField(field: "\(field).shape", found: ModelFile.shortJSON(.array(shapeValues)),
                                    expected: "at most \(InputTensor.maximumElementCount) elements in all")
            }
            elementCount = product
            shape.append(Int(dimension))
        }
        guard let data = value["data"] else { throw missingOrWrong("data", "a list of numbers") }
        let values = try InputTensor.flatten(data, shape: shape, datatype: datatype, input: name,
                                             field: "\(field).data")
        return InputTensor(name: name, datatype: datatype, shape: shape, values: values)
    }
}
