/// A model as this server exposes it: the name and version that paths, answers and metric labels carry, and where
/// it came from (for the start line).
public struct ServedModel: Sendable, Hashable {
    public var name: String
    public var version: String
    public var model: LinearModel
    /// The file it was loaded from.
    public var source: String

    public init(name: String, version: String, model: LinearModel, source: String) {
        self.name = name
        self.version = version
        self.model = model
        self.source = source
    }

    /// The name of the one input tensor in the metadata (MLServer's default name); requests may name it otherwise.
    public static let inputName = "input-0"
    /// The name of the one output tensor, as MLServer's scikit-learn runtime names its prediction.
    public static let outputName = "predict"
}
