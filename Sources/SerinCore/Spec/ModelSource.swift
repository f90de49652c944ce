/// Which model to serve: its name, the version being deployed, and where its artifact lives.
public struct ModelSource: Sendable, Hashable {
    /// The name clients use (`/v2/models/NAME/infer`). Defaults to the ModelDeployment's name.
    public var name: String
    /// A change of version is what starts a canary.
    public var version: String
    public var uri: ModelURI
    public var format: ModelFormat?
    /// Pins the artifact's content; a runtime refuses an artifact that does not match.
    public var digest: ArtifactDigest?

    public init(name: String, version: String, uri: ModelURI, format: ModelFormat? = nil, digest: ArtifactDigest? = nil) {
        self.name = name
        self.version = version
        self.uri = uri
        self.format = format
        self.digest = digest
    }
}

public enum ModelFormat: String, Sendable, Hashable, CaseIterable {
    case sklearn, xgboost, onnx, pytorch, tensorflow, triton, huggingface, custom
}
