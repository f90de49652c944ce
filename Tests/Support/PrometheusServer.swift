import Foundation
import Logging
import SerinGates

/// A real Prometheus (Debian's `prometheus` package, /usr/bin/prometheus) on a free loopback port, scraping a
/// `MetricsExporter` (or a Serin router) every second, with its TSDB in a temporary directory. One per test:
/// `stop()` in a `defer` ends the process and removes the directory (and `deinit` does, as a safety net).
///
/// Scrape jobs: one per exporter format. The mlserver and torchserve jobs add a `namespace` target label, as
/// Kubernetes service discovery does in production, because those servers do not know their namespace.
public final class PrometheusServer: Sendable {
    public static let executable = "/usr/bin/prometheus"
    /// The namespace the mlserver and torchserve scrape jobs attach to their series.
    public static let modelServerNamespace = "ml-models"

    public let port: UInt16
    private let process: ServerProcess
    private let directory: TemporaryDirectory

    private init(port: UInt16, process: ServerProcess, directory: TemporaryDirectory) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    public var client: PrometheusClient {
        PrometheusClient(configuration: PrometheusConfiguration(url: url, timeout: .seconds(5)), logger: Logger(label: "test.prometheus"))
    }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// Starts Prometheus scraping `exporter` and waits until it answers queries.
    public static func start(scraping exporter: MetricsExporter) async throws -> PrometheusServer {
        try await start(configuration: configuration(exporterPort: exporter.port))
    }

    /// Starts Prometheus scraping a Serin router's `GET /metrics` on 127.0.0.1:`port` every second, as the
    /// Prometheus of a cluster scrapes Serin's router, and waits until it answers queries.
    public static func start(scrapingRouterOn port: Int) async throws -> PrometheusServer {
        try await start(configuration: everySecond + """
            scrape_configs:
              - job_name: serin-router
                metrics_path: /metrics
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]

            """)
    }

    private static func start(configuration: String) async throws -> PrometheusServer {
        guard isInstalled else {
            throw HarnessError("\(executable) is missing: run scripts/install-dependencies.sh (Debian's prometheus package)")
        }
        let directory = try TemporaryDirectory(prefix: "serin-prometheus")
        let config = directory.url.appendingPathComponent("prometheus.yml")
        try Data(configuration.utf8).write(to: config)
        let data = try directory.subdirectory("data")
        let (port, process) = try await ServerProcess.startListening(name: "prometheus", timeout: .seconds(30)) { port in
            try ServerProcess.launch(
                name: "prometheus", executable: executable,
                arguments: [
                    "--config.file=\(config.path)", "--storage.tsdb.path=\(data.path)",
                    "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
                ],
                environment: ["PATH": "/usr/bin:/bin", "HOME": directory.url.path],
                logFile: directory.url.appendingPathComponent("prometheus-\(port).log"))
        }
        let server = PrometheusServer(port: port, process: process, directory: directory)
        do {
            try await server.waitUntilReady()
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Scrapes and rule evaluations once a second, so that tests wait seconds for samples, not minutes.
    private static let everySecond = """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s

        """

    private static func configuration(exporterPort: UInt16) -> String {
        everySecond + """
        scrape_configs:
          - job_name: serin
            metrics_path: \(MetricsExporter.Format.serin.path)
            static_configs: [{targets: ["127.0.0.1:\(exporterPort)"]}]
          - job_name: mlserver
            metrics_path: \(MetricsExporter.Format.mlserver.path)
            static_configs: [{targets: ["127.0.0.1:\(exporterPort)"], labels: {namespace: \(modelServerNamespace)}}]
          - job_name: torchserve
            metrics_path: \(MetricsExporter.Format.torchserve.path)
            static_configs: [{targets: ["127.0.0.1:\(exporterPort)"], labels: {namespace: \(modelServerNamespace)}}]
          - job_name: istio
            metrics_path: \(MetricsExporter.Format.istio.path)
            static_configs: [{targets: ["127.0.0.1:\(exporterPort)"]}]

        """
    }

    /// Polls until a trivial query succeeds: the TSDB is open and the API serves.
    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                _ = try await client.query("vector(1)", at: nil)
                return
            } catch {
                guard ContinuousClock.now < deadline, process.isRunning else {
                    throw HarnessError("prometheus did not answer queries within 30 s (\(error)); its log:\n\(process.log)")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Polls until `count_over_time(selector[1m])` reaches `samples` for every series matching `selector`, so
    /// that rates and increases over the interval have data. Never a fixed sleep: a loaded machine only waits longer.
    /// Prometheus applies its first target list about 5 s after start, so the first samples take that long.
    public func waitForSamples(_ selector: String, atLeast samples: Int = 3, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil("min(count_over_time(\(selector)[1m]))", isAtLeast: Double(samples), timeout: timeout,
                            describing: { "\(Int($0)) samples of \(selector)" })
    }

    /// Polls until the instant query `query` gives a single value of at least `minimum`: a precondition a test
    /// states in PromQL (`sum(increase(…[1m])) >= 20` requests), met later on a loaded machine rather than missed.
    public func waitUntil(_ query: String, isAtLeast minimum: Double, timeout: Duration = .seconds(30),
                          describing: (Double) -> String = { "\($0)" }) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "nothing yet"
        while ContinuousClock.now < deadline {
            if let result = try? await client.query(query, at: nil), case .success(let value?) = result.singleValue {
                if value >= minimum { return }
                last = describing(value)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("prometheus had \(last) for \(query) after \(timeout), expected at least \(minimum); "
            + "its log:\n\(process.log)")
    }

    public var isRunning: Bool { process.isRunning }

    public func stop() {
        process.stop()
        directory.remove()
    }

    deinit {
        stop()
    }
}
