import ArgumentParser
import Foundation
import Logging
import ReferenceModelServer

/// `serin-model-server --model PATH|file://URI --port PORT [...]`: serves one linear or logistic model over the
/// Open Inference Protocol v2 (KServe v2 / MLServer REST), with fault injection, so that Serin's quickstart and tests
/// can show a bad model version failing its gates and being rolled back without Python.
@main
struct ModelServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin-model-server",
        abstract: "Serve a linear model over the Open Inference Protocol v2, with injectable faults.",
        discussion: """
            The model file is JSON: {"type": "linear" | "logistic", "weights": [w1, …, wn], "bias": b}.
            Endpoints: GET /v2/health/live, /v2/health/ready, /v2/models/<name>[/versions/<v>][/ready],
            POST /v2/models/<name>[/versions/<v>]/infer, GET /metrics (MLServer's metric names).
            SIGTERM or SIGINT stops it gracefully: requests in flight are answered, then it exits 0.
            """)

    @Option(help: "The model JSON file: a path or a file:// URI.")
    var model: String

    @Option(help: "The port to listen on (0 picks a free one; the start line names it).")
    var port: Int

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The model name in paths, answers and metrics (default: the file name without .json).")
    var name: String?

    @Option(help: "The model version in answers and metrics.")
    var version: String = "1"

    @Option(name: .customLong("error-rate"),
            help: "The share of infer requests (0 to 1) that answer 500, spread evenly: 0.2 fails every 5th.")
    var errorRate: Double = 0

    @Option(help: "A delay added to every infer answer, e.g. 50ms or 1.5s.")
    var latency: String = "0"

    @Option(name: .customLong("fail-after"),
            help: "Exit with status 1 right after answering this many infer requests, as a crash would.")
    var failAfter: Int?

    @Option(name: .customLong("ready-after"), help: "Readiness answers 503 until this long after the start, e.g. 2s.")
    var readyAfter: String = "0"

    @Flag(help: "Log every request (to standard error).")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not a port: use 0 to 65535") }
        guard errorRate.isFinite, (0...1).contains(errorRate) else {
            throw ValidationError("--error-rate \(errorRate) is not a share: use a number from 0 to 1, e.g. 0.2")
        }
        if let failAfter, failAfter < 1 {
            throw ValidationError("--fail-after \(failAfter) is not a request count: use 1 or more")
        }
        if let name, name.isEmpty || name.contains("/") {
            throw ValidationError("--name \"\(name)\" cannot be a path segment: use a name without slashes")
        }
        guard !version.isEmpty, !version.contains("/") else {
            throw ValidationError("--version \"\(version)\" cannot be a path segment: use a version without slashes")
        }
        _ = try duration(latency, flag: "--latency")
        _ = try duration(readyAfter, flag: "--ready-after")
    }

    private func duration(_ text: String, flag: String) throws -> Duration {
        do {
            return try DurationText.parse(text)
        } catch {
            throw ValidationError("\(flag): \(error)")
        }
    }

    func run() async throws {
        let verbose = self.verbose
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
        let logger = Logger(label: "serin-model-server")
        // Signals first: a SIGTERM that arrives while the model loads still stops the server gracefully.
        let termination = TerminationSignals()
        let signals = termination.stream
        let server: ModelServer
        do {
            let path = try ModelSource.path(from: model)
            let linearModel = try ModelFile.load(path: path)
            let served = ServedModel(name: name ?? ModelSource.defaultName(forPath: path), version: version,
                                     model: linearModel, source: path)
            let faults = FaultInjection(errorRate: errorRate, latency: try duration(latency, flag: "--latency"),
                                        failAfter: failAfter, readyAfter: try duration(readyAfter, flag: "--ready-after"))
            server = try await ModelServer.start(
                ModelServerConfiguration(served: served, host: host, port: port, faults: faults), logger: logger)
        } catch {
            FileHandle.standardError.write(Data("serin-model-server: error: \(error)\n".utf8))
            throw ExitCode(1)
        }

        let exitRequested = server.exitRequested
        let crashed = await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                for await _ in signals { return false }
                return nil
            }
            group.addTask {
                for await _ in exitRequested { return true }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
        if crashed {
            logger.error("exiting with status 1 after \(failAfter ?? 0) infer requests (--fail-after)")
            Foundation.exit(1)
        }
        await server.shutDown(gracePeriod: .seconds(25))
        withExtendedLifetime(termination) {}
    }

}

/// SIGINT and SIGTERM as a stream, no longer killing the process. Keep the object alive while the stream is read:
/// it holds the dispatch sources that feed it.
final class TerminationSignals {
    let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let queue = DispatchQueue(label: "serin-model-server.signals")
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        self.stream = stream
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
