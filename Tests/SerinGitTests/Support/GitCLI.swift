import Foundation

/// The git command-line tool, for the harness and for tests to prepare and inspect repositories.
/// (Only the harness and tests use the CLI; Serin's own code goes through libgit2.)
///
/// Every call gets a controlled environment: HOME in a temporary directory, no system config, no terminal
/// prompts, C locale, a fixed author and committer with a fixed date (so commit IDs are reproducible),
/// `init.defaultBranch=main` and `protocol.file.allow=always` (through GIT_CONFIG_COUNT, so for every command).
struct GitCLI: Sendable {
    static let executable = "/usr/bin/git"
    static let authorName = "Serin Test"
    static let authorEmail = "serin-test@example.invalid"
    /// The author and committer date of every commit unless a call overrides it.
    static let fixedDate = "2025-01-01T12:00:00+00:00"

    /// The HOME of every git command run through this value.
    let homeDirectory: URL
    /// The complete environment of every git command run through this value.
    private(set) var environment: [String: String]

    init(homeDirectory: URL, environment extra: [String: String] = [:]) {
        self.homeDirectory = homeDirectory
        var environment = Command.plainEnvironment(home: homeDirectory)
        environment["XDG_CONFIG_HOME"] = homeDirectory.appendingPathComponent(".config").path
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_AUTHOR_NAME"] = Self.authorName
        environment["GIT_AUTHOR_EMAIL"] = Self.authorEmail
        environment["GIT_AUTHOR_DATE"] = Self.fixedDate
        environment["GIT_COMMITTER_NAME"] = Self.authorName
        environment["GIT_COMMITTER_EMAIL"] = Self.authorEmail
        environment["GIT_COMMITTER_DATE"] = Self.fixedDate
        let configuration = [
            ("protocol.file.allow", "always"),
            ("init.defaultBranch", "main"),
            ("advice.detachedHead", "false"),
        ]
        environment["GIT_CONFIG_COUNT"] = String(configuration.count)
        for (index, (key, value)) in configuration.enumerated() {
            environment["GIT_CONFIG_KEY_\(index)"] = key
            environment["GIT_CONFIG_VALUE_\(index)"] = value
        }
        environment.merge(extra) { _, new in new }
        self.environment = environment
    }

    /// The same git with more (or overriding) environment variables, e.g. GIT_SSH_COMMAND.
    func adding(environment extra: [String: String]) -> GitCLI {
        var copy = self
        copy.environment.merge(extra) { _, new in new }
        return copy
    }

    /// Runs `git <arguments>` and returns its standard output as printed (trailing newline included).
    /// Throws `CommandFailure`, which carries stderr, when git exits with a non-zero status or times out.
    @discardableResult
    func run(
        _ arguments: [String],
        in directory: URL? = nil,
        environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) throws -> String {
        try Command.run(
            Self.executable, arguments, environment: environment.merging(extra) { _, new in new },
            directory: directory, timeout: timeout)
    }

    /// Runs `git <arguments>` and returns its output and status without throwing on a non-zero status,
    /// for tests that expect git to fail and want to read what it said.
    func output(
        _ arguments: [String],
        in directory: URL? = nil,
        environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) throws -> CommandOutput {
        try Command.output(
            Self.executable, arguments, environment: environment.merging(extra) { _, new in new },
            directory: directory, timeout: timeout)
    }

    /// Runs `git <arguments>` and returns its standard output without the trailing newline: for rev-parse and the like.
    func line(_ arguments: [String], in directory: URL? = nil) throws -> String {
        var text = try run(arguments, in: directory)
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
