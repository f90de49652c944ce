import Foundation
import TestSupport

/// What a finished command printed, and how it ended.
struct CommandOutput: Sendable {
    var status: Int32
    var standardOutput: String
    var standardError: String

    var succeeded: Bool { status == 0 }
}

/// Runs helper programs (git, ssh-keygen, pgrep) synchronously, as `ChildProcess`es: an explicit environment,
/// stdin from /dev/null, stdout and stderr captured through unlinked temporary files (no pipe that can fill up),
/// and a timeout after which the command's whole process group is killed.
enum Command {
    /// The PATH given to every command and server: the system directories only.
    static let searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Runs the command and returns its output whatever its exit status.
    /// Throws only when it cannot be started or when it times out.
    static func output(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: URL? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> CommandOutput {
        let standardOutput = try CaptureFile()
        let standardError = try CaptureFile()
        let child = try ChildProcess.spawn(
            executable, arguments, environment: environment, directory: directory,
            standardOutput: standardOutput.handle.fileDescriptor, standardError: standardError.handle.fileDescriptor)

        guard child.waitForExit(until: .now + timeout) else {
            child.terminateTree(gracePeriod: .seconds(2))
            throw CommandFailure(
                command: [executable] + arguments,
                status: -1,
                standardOutput: standardOutput.contents(),
                standardError: standardError.contents(),
                timedOut: true
            )
        }
        return CommandOutput(
            status: child.exitCode ?? -1, standardOutput: standardOutput.contents(), standardError: standardError.contents())
    }

    /// Runs the command and returns its standard output; throws `CommandFailure` (with stderr) unless it exits with 0.
    @discardableResult
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: URL? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> String {
        let output = try output(executable, arguments, environment: environment, directory: directory, timeout: timeout)
        guard output.succeeded else {
            throw CommandFailure(
                command: [executable] + arguments,
                status: output.status,
                standardOutput: output.standardOutput,
                standardError: output.standardError,
                timedOut: false
            )
        }
        return output.standardOutput
    }

    /// A minimal environment for helper tools that need no Git settings.
    static func plainEnvironment(home: URL) -> [String: String] {
        ["PATH": searchPath, "HOME": home.path, "LANG": "C", "LC_ALL": "C"]
    }
}

/// An unlinked temporary file that a child writes its output to.
private final class CaptureFile {
    let handle: FileHandle

    init() throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/serin-command-output.XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let baseAddress = buffer.baseAddress else { return -1 }
            return mkstemp(baseAddress)
        }
        // Not inherited by other children (a file, unlike a pipe, would do no harm if it were).
        if descriptor >= 0 { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        guard descriptor >= 0 else {
            throw HarnessError("cannot create a file for command output: \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { buffer in
            if let baseAddress = buffer.baseAddress {
                _ = unlink(baseAddress)
            }
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func contents() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(handle.fileDescriptor, $0.baseAddress, $0.count, offset) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
            offset += off_t(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
