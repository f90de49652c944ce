import CLibGit2

/// libgit2's process-wide state. `git_libgit2_init` must run once before any other call; every entry point of
/// SerinGit reaches the library through `GitLibrary.shared`, whose lazy initialisation runs it exactly once.
public final class GitLibrary: Sendable {
    public static let shared = GitLibrary()

    public let version: String

    private init() {
        git_libgit2_init()
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        git_libgit2_version(&major, &minor, &patch)
        version = "\(major).\(minor).\(patch)"
    }
}
