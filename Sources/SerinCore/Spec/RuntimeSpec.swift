/// How a model version is served: a container image on Kubernetes, a command on the local runtime, or both so the
/// same document works in either place.
public struct RuntimeSpec: Sendable, Hashable {
    public var image: String?
    /// Templated: `{{model.name}}`, `{{model.uri}}`, `{{model.version}}` and `{{port}}` are filled in per version.
    public var command: [String]?
    public var args: [String]
    public var port: Int
    /// Values are templated like `command`.
    public var env: [EnvironmentVariable]
    public var resources: ResourceRequirements
    public var readinessPath: String
    public var livenessPath: String
    public var metricsPath: String?
    /// The port metrics are served on when it is not `port` (MLServer serves them on 8082).
    public var metricsPort: Int?

    public init(image: String? = nil, command: [String]? = nil, args: [String] = [], port: Int = SpecDefaults.port,
                env: [EnvironmentVariable] = [], resources: ResourceRequirements = ResourceRequirements(),
                readinessPath: String = SpecDefaults.readinessPath, livenessPath: String = SpecDefaults.livenessPath,
                metricsPath: String? = nil, metricsPort: Int? = nil) {
        self.image = image
        self.command = command
        self.args = args
        self.port = port
        self.env = env
        self.resources = resources
        self.readinessPath = readinessPath
        self.livenessPath = livenessPath
        self.metricsPath = metricsPath
        self.metricsPort = metricsPort
    }

    /// The placeholders `command`, `args` and `env` values may use.
    public static let templatePlaceholders = ["model.name", "model.uri", "model.version", "port"]
}

public struct EnvironmentVariable: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What one replica of a version needs. `cpu`, `memory` and `gpu` are requests; `limits` caps cpu and memory.
/// A GPU count is both request and limit, as Kubernetes requires for extended resources.
public struct ResourceRequirements: Sendable, Hashable {
    public var cpu: Quantity?
    public var memory: Quantity?
    public var gpu: Int?
    public var limits: ResourceLimits

    public init(cpu: Quantity? = nil, memory: Quantity? = nil, gpu: Int? = nil, limits: ResourceLimits = ResourceLimits()) {
        self.cpu = cpu
        self.memory = memory
        self.gpu = gpu
        self.limits = limits
    }
}

public struct ResourceLimits: Sendable, Hashable {
    public var cpu: Quantity?
    public var memory: Quantity?

    public init(cpu: Quantity? = nil, memory: Quantity? = nil) {
        self.cpu = cpu
        self.memory = memory
    }
}
