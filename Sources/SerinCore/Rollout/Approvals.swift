/// The approvals committed to the desired branch: one file per approved version, at
/// `approvals/<namespace>/<name>/<version>`. Approving is a commit, typically merged through a pull request, so an
/// approval goes through the same review as any change, and `git log approvals/` says who approved what and when.
/// The files' contents are not read: a note for reviewers may go there.
public struct Approvals: Sendable, Hashable {
    /// The directory at the repository's root that holds approvals.
    public static let directory = "approvals"

    private var versions: [DeploymentKey: Set<String>]

    public init(_ versions: [DeploymentKey: Set<String>] = [:]) { self.versions = versions }

    /// Reads the paths of the files under `approvals/` (relative to it, `<namespace>/<name>/<version>`). Paths of any
    /// other shape are returned as `ignored`, for a warning.
    public init(paths: [String]) {
        self.init()
        for path in paths {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
                ignored.append(path)
                continue
            }
            versions[DeploymentKey(namespace: parts[0], name: parts[1]), default: []].insert(parts[2])
        }
    }

    /// Paths under `approvals/` that do not name a model's version.
    public private(set) var ignored: [String] = []

    /// The approved versions of one model.
    public func versions(of key: DeploymentKey) -> Set<String> { versions[key] ?? [] }

    /// The path that approves `version` of `key`, relative to the repository's root.
    public static func path(for key: DeploymentKey, version: String) -> String {
        "\(directory)/\(key.namespace)/\(key.name)/\(version)"
    }
}
