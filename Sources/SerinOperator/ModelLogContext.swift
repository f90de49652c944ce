import Logging
import SerinCore

/// The model a piece of work is about, carried as a task-local value so that every log line written while
/// reconciling it names the model, its version and the desired commit, whichever component writes the line (the
/// runtime, the traffic router, the gate checker) and without threading a logger through each of them.
///
/// The loop sets it around each reconcile; `metadataProvider`, installed with the logging system, turns it into
/// metadata. Metadata passed to a log call explicitly wins over it, so a transition line can name the version it
/// moved to.
public struct ModelLogContext: Sendable, Equatable {
    public var key: DeploymentKey
    /// The version the desired state asks for, or the one being rolled out or removed when Git no longer names one.
    public var version: String?
    /// The desired commit the work acts on.
    public var desiredCommit: String

    public init(key: DeploymentKey, version: String?, desiredCommit: String) {
        self.key = key
        self.version = version
        self.desiredCommit = desiredCommit
    }

    @TaskLocal public static var current: ModelLogContext?

    /// This context for a line about the model as a whole, such as how its traffic is split between versions.
    public var withoutVersion: ModelLogContext {
        var context = self
        context.version = nil
        return context
    }

    /// The metadata a log line about this model carries.
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["model": "\(key)", "desiredCommit": "\(desiredCommit.prefix(12))"]
        if let version { metadata["version"] = "\(version)" }
        return metadata
    }

    /// Adds the current task's model, if any, to every log line.
    public static let metadataProvider = Logger.MetadataProvider { current?.metadata ?? [:] }
}
