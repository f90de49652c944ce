import Foundation
import Testing

/// `serin validate` end to end: the built executable, real files, exit codes and output.
@Suite("serin validate")
struct ValidateCommandTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("serin")
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the built `serin`; `environment` adds variables to this process's own.
    func serin(_ arguments: [String], in directory: URL = repositoryRoot, environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A scratch directory holding `files`, removed by the caller.
    func scratch(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-cli-\(UUID().uuidString)")
        for (path, text) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return directory
    }

    static let valid = """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: iris}
    spec:
      model: {version: "1", uri: s3://models/iris/1}
      runtime: {image: seldonio/mlserver:1.7.1}

    """

    @Test func examplesAreValidAndExitZero() throws {
        let outcome = try serin(["validate", "examples/deployments"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "3 ModelDeployments valid in 3 files\n")
    }

    @Test func aBrokenFileExitsOneWithALocatedError() throws {
        let directory = try scratch(["deployments/iris.yaml": Self.valid.replacingOccurrences(of: "version: \"1\"", with: "version: \"1\", format: scikit")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stdout == """
        deployments/iris.yaml:5:33: error: spec.model.format: found "scikit", expected one of sklearn, xgboost, onnx, pytorch, tensorflow, triton, huggingface, custom
        1 error in 1 file

        """)
    }

    @Test func githubFormatAnnotatesThePullRequest() throws {
        let directory = try scratch(["d/iris.yaml": Self.valid.replacingOccurrences(of: "name: iris", with: "name: Iris")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate", "--format", "github", "d"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.hasPrefix("::error file=d/iris.yaml,line=3,col=18::metadata.name: found \"Iris\""))
    }

    @Test func jsonFormatIsMachineReadable() throws {
        let directory = try scratch(["d/iris.yaml": Self.valid, "d/nested/bad.yml": "kind: ModelDeployment\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate", "--format", "json", "d"], in: directory)
        #expect(outcome.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        #expect(object["files"] as? Int == 2)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.map { $0["file"] as? String } == ["d/nested/bad.yml", "d/nested/bad.yml", "d/nested/bad.yml"])
    }

    @Test func showDefaultsPrintsDocumentsThatValidateAgain() throws {
        let directory = try scratch(["deployments/iris.yaml": Self.valid])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate", "--show-defaults"], in: directory)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("  namespace: default\n"))
        #expect(outcome.stdout.contains("    steps: [10, 25, 50, 100]\n"))
        #expect(outcome.stderr == "1 ModelDeployment valid in 1 file\n")

        try Data(outcome.stdout.utf8).write(to: directory.appendingPathComponent("deployments/iris.yaml"))
        let again = try serin(["validate", "--show-defaults"], in: directory)
        #expect(again.status == 0)
        #expect(again.stdout == outcome.stdout)
    }

    @Test func hiddenDirectoriesAndOtherFilesAreNotRead() throws {
        let directory = try scratch([
            "deployments/iris.yaml": Self.valid,
            "deployments/.git/config.yaml": "not: [valid\n",
            "deployments/README.md": "# not YAML: [\n",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate", "deployments"], in: directory)
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "1 ModelDeployment valid in 1 file\n")
    }

    @Test func anOversizedFileIsReportedWithoutBeingLoaded() throws {
        let directory = try scratch(["deployments/huge.yaml": "# " + String(repeating: "x", count: 3 << 20) + "\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.hasPrefix("deployments/huge.yaml:1:1: error: file is 3 MiB, larger than the 1 MiB limit"))
    }

    /// The bound is loose (shared machines): it only catches the gigabytes an expanding or recursing reader takes.
    @Test func hostileFilesAreRefusedInBoundedMemory() throws {
        // Nine levels of nine aliases each: 9^10 strings once expanded.
        var bomb = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            bomb += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        let directory = try scratch([
            "deployments/bomb.yaml": bomb,
            "deployments/deep.yaml": String(repeating: "[", count: 500_000),
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try serin(["validate"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("deployments/bomb.yaml:"))
        #expect(outcome.stdout.contains("YAML nodes once aliases are resolved"))
        #expect(outcome.stdout.contains("deployments/deep.yaml:1:65: error: nesting deeper than 64 levels"))
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        #expect(usage.ru_maxrss < 256 * 1024, "largest child used \(usage.ru_maxrss) KiB")
    }

    @Test func aMissingPathIsAUsageError() throws {
        let outcome = try serin(["validate", "no/such/dir"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("no/such/dir: no such file or directory"))
        // The usage shown is validate's, not the top-level command's.
        #expect(outcome.stderr.contains("Usage: serin validate [<paths> ...]"))
        #expect(outcome.stderr.contains("See 'serin validate --help'"))
    }

    @Test func anUnknownOptionIsAUsageError() throws {
        let outcome = try serin(["validate", "--frmat", "json"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--frmat"))
    }

    @Test func anUnknownFormatIsAUsageError() throws {
        let outcome = try serin(["validate", "--format", "xml", "examples/deployments"])
        #expect(outcome.status == 2)
    }

    @Test func versionIsPrinted() throws {
        let outcome = try serin(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("0."))
    }
}
