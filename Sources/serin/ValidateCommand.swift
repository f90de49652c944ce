import ArgumentParser
import Foundation
import SerinCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check ModelDeployment files and report every problem with its file, line and field.",
        discussion: """
        Reads every *.yaml and *.yml file under each PATH (default: deployments). Exits 0 when all are valid, \
        1 when any is invalid, 2 on usage errors.
        """
    )

    @Argument(help: "Files or directories to check.")
    var paths: [String] = []

    @Option(help: "Output format: text, github (pull-request annotations) or json.")
    var format: DiagnosticFormat = .text

    @Flag(help: "Print each ModelDeployment with every default filled in.")
    var showDefaults = false

    func run() async throws {
        let roots = paths.isEmpty ? ["deployments"] : paths
        let files: [SourceFile]
        do {
            files = try WorkingTreeFiles.read(roots, limit: YAMLLimits.standard.maxFileBytes)
        } catch {
            throw ValidationError(error.description)
        }
        let decoding = DesiredState.decode(files)
        let report = format.render(decoding, fileCount: files.count)
        if showDefaults {
            // The documents go to standard output so they can be piped; the report goes beside them on standard error.
            FileHandle.standardError.write(Data(report.utf8))
            if decoding.isValid {
                print(decoding.state.deployments.map { YAMLWriter.write($0.yamlValue) }.joined(separator: "---\n"), terminator: "")
            }
        } else {
            print(report, terminator: "")
        }
        if !decoding.isValid { throw Exit.invalid }
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}
