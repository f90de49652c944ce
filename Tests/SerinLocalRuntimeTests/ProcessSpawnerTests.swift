import Foundation
import SerinProcess
import Testing

@Suite("Finding the executable of a command")
struct ProcessSpawnerTests {
    @Test func aCommandNotFoundNamesEachDirectoryOfPathOnce() throws {
        let message = try notFound("serin-no-such-command", path: "/nonexistent/a:/nonexistent/b:/nonexistent/a::/nonexistent/b")
        #expect(message == "command not found: serin-no-such-command (searched PATH=/nonexistent/a:/nonexistent/b)")
    }

    @Test func withoutPathTheUsualDirectoriesAreSearchedAndNamed() throws {
        #expect(try notFound("serin-no-such-command", path: nil)
                == "command not found: serin-no-such-command (searched PATH=/usr/local/bin:/usr/bin:/bin)")
        #expect(ProcessSpawner.locate("sh", path: nil) != nil)
    }

    /// The description of the failure to start `command` with `path` as the child's PATH.
    private func notFound(_ command: String, path: String?) throws -> String {
        let environment = path.map { ["PATH": $0] } ?? [:]
        do {
            let pid = try ProcessSpawner.spawn(command, [], environment: environment,
                                               standardOutput: STDOUT_FILENO, standardError: STDERR_FILENO)
            Issue.record("\(command) started as \(pid)")
            return ""
        } catch {
            #expect(error.isCommandNotFound)
            return error.description
        }
    }
}
