/// The desired state of one served model, as committed to Git: `serin.dev/v1alpha1`, kind `ModelDeployment`.
///
/// Every field holds its final value: defaults are filled in by the decoder from `SpecDefaults`, so code that reads a
/// ModelDeployment never has to know a default.
public struct ModelDeployment: Sendable, Hashable {
    public static let apiVersion = "serin.dev/v1alpha1"
    public static let kind = "ModelDeployment"

    public var metadata: ObjectMetadata
    public var spec: ModelDeploymentSpec

    public init(metadata: ObjectMetadata, spec: ModelDeploymentSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public var key: DeploymentKey { DeploymentKey(namespace: metadata.namespace, name: metadata.name) }
}

/// The identity of a ModelDeployment: two documents with the same key describe the same model.
public struct DeploymentKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(namespace)/\(name)" }

    public static func < (lhs: DeploymentKey, rhs: DeploymentKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

public struct ObjectMetadata: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(name: String, namespace: String = SpecDefaults.namespace, labels: [String: String] = [:],
                annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

public struct ModelDeploymentSpec: Sendable, Hashable {
    public var model: ModelSource
    public var runtime: RuntimeSpec
    public var replicas: Int
    public var traffic: TrafficSpec
    public var rollout: RolloutSpec
    /// Whether removing the document from Git removes the model from the cluster.
    public var prune: Bool

    public init(model: ModelSource, runtime: RuntimeSpec, replicas: Int = SpecDefaults.replicas,
                traffic: TrafficSpec = TrafficSpec(), rollout: RolloutSpec = RolloutSpec(), prune: Bool = SpecDefaults.prune) {
        self.model = model
        self.runtime = runtime
        self.replicas = replicas
        self.traffic = traffic
        self.rollout = rollout
        self.prune = prune
    }
}
