import SerinCore

/// The Open Inference Protocol's metadata answers: what a client (or Serin's readiness check) reads to learn the
/// model's name, versions and tensor shapes before sending data.
public enum ModelMetadata {
    /// `GET /v2`: the server itself.
    public static let serverName = "serin-model-server"
    public static let serverVersion = "0.1.0"

    public static var server: JSONValue {
        .object([
            "name": .string(serverName),
            "version": .string(serverVersion),
            "extensions": .array([]),
        ])
    }

    /// `GET /v2/models/<name>`: variable dimensions are -1, as the protocol specifies.
    public static func model(_ served: ServedModel) -> JSONValue {
        .object([
            "name": .string(served.name),
            "versions": .array([.string(served.version)]),
            "platform": .string(platform(served.model.kind)),
            "inputs": .array([
                tensor(name: ServedModel.inputName, shape: [-1, Int64(served.model.featureCount)]),
            ]),
            "outputs": .array([tensor(name: ServedModel.outputName, shape: [-1])]),
        ])
    }

    /// The protocol lets each server name its own platforms; this one names the reference model kind.
    public static func platform(_ kind: LinearModel.Kind) -> String {
        "serin-reference-\(kind.rawValue)"
    }

    private static func tensor(name: String, shape: [Int64]) -> JSONValue {
        .object([
            "name": .string(name),
            "datatype": .string(TensorDatatype.fp64.rawValue),
            "shape": .array(shape.map { .integer($0) }),
        ])
    }
}
