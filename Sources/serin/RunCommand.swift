import ArgumentParser
import Foundation
import Logging
import SerinCore
import SerinEndpoints
import SerinGates
import SerinGit
import SerinKube
import SerinKubeRuntime
import SerinLocalRuntime
import SerinOperator
import SerinRouter
import ServiceLifecycle

/// `serin run`: the operator. Watches the repository, reconciles every ModelDeployment with the runtime, rolls new
/// versions out as canaries and records each transition on the status branch. Every option can also come from an
/// environment variable (`SERIN_BRANCH`, …) so a container needs no arguments.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run Serin: sync the repository, roll models out, record every transition in Git.",
        discussion: """
            With --runtime local (the default outside Kubernetes), model servers run as processes on this machine \
            behind Serin's router: send requests to http://<router-listen>/v2/models/<model>/infer.
            """
    )

    enum Runtime: String, ExpressibleByArgument, CaseIterable {
        case local, kubernetes
    }

    private static let environment = ProcessInfo.processInfo.environment

    @OptionGroup var remote: RemoteOptions

    @Option(help: "Where model servers run (default: kubernetes inside a cluster, local elsewhere; env SERIN_RUNTIME).")
    var runtime: Runtime?

    @Option(help: "The branch holding the desired state (env SERIN_BRANCH).")
    var branch: String = environment["SERIN_BRANCH"] ?? "main"

    @Option(help: "The directory of ModelDeployments in the repository (env SERIN_PATH).")
    var path: String = environment["SERIN_PATH"] ?? "deployments"

    @Option(help: "The branch the ledger of rollout transitions is committed to (env SERIN_STATUS_BRANCH).")
    var statusBranch: String = environment["SERIN_STATUS_BRANCH"] ?? "serin/status"

    @Flag(help: "Commit the ledger under status/ on the desired branch instead of on --status-branch (env SERIN_STATUS_ON_DESIRED_BRANCH=true).")
    var statusOnDesiredBranch = environment["SERIN_STATUS_ON_DESIRED_BRANCH"] == "true"

    @Option(help: "Author of ledger commits, as \"Name <email>\" (env SERIN_LEDGER_AUTHOR; default: Serin <serin@localhost>).")
    var ledgerAuthor: String = environment["SERIN_LEDGER_AUTHOR"] ?? GitSignature.serin.identity

    @Option(help: "Committer of ledger commits, as \"Name <email>\" (env SERIN_LEDGER_COMMITTER; default: the author).")
    var ledgerCommitter: String?

    @Option(help: "Where the local runtime keeps model servers' working directories, logs and state (env SERIN_STATE_DIR).")
    var stateDir: String = environment["SERIN_STATE_DIR"] ?? ".serin"

    @Option(help: "Address of the local router that clients call (env SERIN_ROUTER_LISTEN).")
    var routerListen: String = environment["SERIN_ROUTER_LISTEN"] ?? "127.0.0.1:8080"

    @Option(help: "Local runtime: how long a model server may send nothing once a request went out before the router answers 504, e.g. 60s or 5m (env SERIN_ROUTER_UPSTREAM_TIMEOUT).")
    var routerUpstreamTimeout: String = environment["SERIN_ROUTER_UPSTREAM_TIMEOUT"] ?? "60s"

    @Option(help: "Local runtime: the router's threads (env SERIN_ROUTER_THREADS; default: one per core, shared with the rest of Serin). Model servers need the cores too: on a small machine, fewer router threads can serve more.")
    var routerThreads: Int?

    @Option(help: "Address of Serin's own endpoints: /hooks/{github,gitlab,generic}, /metrics, /healthz, /readyz (env SERIN_LISTEN).")
    var listen: String = environment["SERIN_LISTEN"] ?? "127.0.0.1:8081"

    @Option(help: "File holding the webhooks' shared secret (env SERIN_WEBHOOK_SECRET_FILE; else the secret itself in env SERIN_WEBHOOK_SECRET; without one, webhooks are off).")
    var webhookSecretFile: String?

    @Option(help: "How often to poll the repository when no webhook says sooner, e.g. 30s (env SERIN_INTERVAL; default 2s for a local path, else 30s).")
    var interval: String?

    @Option(help: "Prometheus base URL for prometheus gates and non-router metric sources (env SERIN_PROMETHEUS_URL).")
    var prometheusUrl: String?

    @Option(help: "Kubernetes runtime: the kubeconfig to use outside a cluster (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "Kubernetes runtime: the kubeconfig context (default: its current-context).")
    var context: String?

    @Option(help: "Kubernetes runtime: the one namespace Serin manages (env SERIN_NAMESPACE; default: every namespace).")
    var namespace: String?

    @Option(help: "Kubernetes runtime: the metrics source (istio, mlserver or torchserve) for gates whose spec names none, since Serin's router does not run there (env SERIN_DEFAULT_METRICS_SOURCE).")
    var defaultMetricsSource: String?

    @Option(help: "Kubernetes runtime: the traffic provider (gateway-api, istio or replicas) of models whose spec names none (env SERIN_DEFAULT_TRAFFIC_PROVIDER; default: gateway-api when the cluster serves HTTPRoutes, else replicas).")
    var defaultTrafficProvider: String?

    @Flag(help: "Kubernetes runtime: reconcile only while holding the Lease serin-operator, so replicas stand by (env SERIN_LEADER_ELECT=true).")
    var leaderElect = environment["SERIN_LEADER_ELECT"] == "true"

    @Option(help: "Models reconciled at the same time (env SERIN_WORKERS; default 4).")
    var workers: Int?

    @Option(help: "Log lines as text for people, journal for systemd's journal (text with syslog priorities, without the time) or json for pipelines (env SERIN_LOG_FORMAT).")
    var logFormat: String = environment["SERIN_LOG_FORMAT"] ?? "text"

    @Flag(help: "Log debug lines too.")
    var verbose = false

    /// Models reconciled at once: the option, else SERIN_WORKERS, else 4.
    private var workerCount: Int { RunCommand.count(workers, environment: "SERIN_WORKERS") ?? 4 }

    /// A count option's value: the command line's, else its environment variable's, else nil. `validate()` has
    /// refused anything but a whole number of at least 1 (`validateCount`).
    private static func count(_ option: Int?, environment name: String) -> Int? {
        option ?? environment[name].flatMap { Int($0) }
    }

    private static func validateCount(_ option: Int?, environment name: String, flag: String) throws {
        if let text = option.map(String.init) ?? environment[name], (Int(text) ?? 0) < 1 {
            throw ValidationError("\(flag) must be a whole number of at least 1, not \(text)")
        }
    }

    func validate() throws {
        try EnvironmentFlags.validate(["SERIN_STATUS_ON_DESIRED_BRANCH", "SERIN_LEADER_ELECT"], in: RunCommand.environment)
        if runtime == nil, let text = RunCommand.environment["SERIN_RUNTIME"], Runtime(rawValue: text) == nil {
            throw ValidationError("SERIN_RUNTIME must be one of \(Runtime.allCases.map(\.rawValue).joined(separator: ", ")), not \(text)")
        }
        guard ConsoleLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be one of \(ConsoleLogHandler.Format.allCases.map(\.rawValue).joined(separator: ", ")), not \(logFormat)")
        }
        guard RunCommand.address(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8081, not \(listen)")
        }
        guard RunCommand.address(routerListen) != nil else {
            throw ValidationError("--router-listen must be HOST:PORT, such as 127.0.0.1:8080, not \(routerListen)")
        }
        guard let upstreamTimeout = SpecDuration(parsing: routerUpstreamTimeout), upstreamTimeout.duration > .zero else {
            throw ValidationError("--router-upstream-timeout must be a duration such as 60s or 5m, not \(routerUpstreamTimeout)")
        }
        if let text = interval ?? RunCommand.environment["SERIN_INTERVAL"], SpecDuration(parsing: text) == nil {
            throw ValidationError("--interval must be a duration such as 30s or 2m, not \(text)")
        }
        try RunCommand.validateCount(workers, environment: "SERIN_WORKERS", flag: "--workers")
        try RunCommand.validateCount(routerThreads, environment: "SERIN_ROUTER_THREADS", flag: "--router-threads")
        guard GitSignature(parsing: ledgerAuthor) != nil else {
            throw ValidationError("--ledger-author must be \"Name <email>\", such as \"Serin <serin@example.com>\", not \(ledgerAuthor)")
        }
        if let committer = ledgerCommitter ?? RunCommand.environment["SERIN_LEDGER_COMMITTER"], GitSignature(parsing: committer) == nil {
            throw ValidationError("--ledger-committer must be \"Name <email>\", such as \"Serin <serin@example.com>\", not \(committer)")
        }
        if let name = defaultMetricsSource ?? RunCommand.environment["SERIN_DEFAULT_METRICS_SOURCE"],
           KubernetesGateMeasurer.names[name] == nil {
            throw ValidationError("--default-metrics-source must be one of \(KubernetesGateMeasurer.names.keys.sorted().joined(separator: ", ")), not \(name)")
        }
        if let name = defaultTrafficProvider ?? RunCommand.environment["SERIN_DEFAULT_TRAFFIC_PROVIDER"],
           RunCommand.clusterProvider(name) == nil {
            throw ValidationError("--default-traffic-provider must be one of gateway-api, istio, replicas, not \(name)")
        }
    }

    /// A traffic provider the Kubernetes runtime can apply (`local` is the local runtime's).
    static func clusterProvider(_ name: String) -> TrafficProvider? {
        TrafficProvider(rawValue: name).flatMap { $0 == .local ? nil : $0 }
    }

    /// The branch the ledger is committed to: the desired branch itself with --status-on-desired-branch.
    var ledgerBranch: String { statusOnDesiredBranch ? branch : statusBranch }

    /// The ledger writer's settings: its branch, author and committer (validated in `validate()`).
    var ledgerConfiguration: LedgerWriter.Configuration {
        let author = GitSignature(parsing: ledgerAuthor) ?? .serin
        let committer = (ledgerCommitter ?? RunCommand.environment["SERIN_LEDGER_COMMITTER"]).flatMap(GitSignature.init(parsing:)) ?? author
        return LedgerWriter.Configuration(branch: ledgerBranch, author: author, committer: committer)
    }

    static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    func run() async throws {
        let format = ConsoleLogHandler.Format(rawValue: logFormat) ?? .text
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap({ label, provider in
            ConsoleLogHandler(label: label, format: format, level: level, metadataProvider: provider)
        }, metadataProvider: ModelLogContext.metadataProvider)
        let logger = Logger(label: "serin")

        let selected = runtime ?? RunCommand.environment["SERIN_RUNTIME"].flatMap(Runtime.init(rawValue:))
            ?? (RunCommand.environment["KUBERNETES_SERVICE_HOST"] != nil ? .kubernetes : .local)

        let gitRemote = try remote.remote()
        let isLocalPath = !gitRemote.url.contains("://") && RemoteURL.sshHost(of: gitRemote.url) == nil
        if isLocalPath && !FileManager.default.fileExists(atPath: gitRemote.url) {
            throw OperationFailure(description: "no repository at \(gitRemote.url): pass --repo with the path or URL of the Git repository of ModelDeployments")
        }
        let intervalText = interval ?? RunCommand.environment["SERIN_INTERVAL"] ?? (isLocalPath ? "2s" : "30s")
        let pollInterval = SpecDuration(parsing: intervalText)?.duration ?? .seconds(30)
        let stateDirectory = URL(fileURLWithPath: stateDir).standardizedFileURL.path
        try StateDirectory.prepare(stateDirectory)
        let stateLock = try StateDirectoryLock.acquire(stateDirectory)
        defer { stateLock.release() }

        let mirror: GitMirror
        do {
            mirror = try await GitMirror(remote: gitRemote, cacheDirectory: stateDirectory + "/git")
        } catch {
            throw OperationFailure(description: error.description)
        }
        // On one machine the model servers end with Serin: if Git cannot be reached when it starts again, what this
        // machine last fetched (desired state and ledger) is served until Git answers. A cluster keeps serving anyway.
        let startsFromMirror = selected == .local
        let source = DesiredStateSource(mirror: mirror, configuration: .init(branch: branch, root: path, startFromLastFetched: startsFromMirror),
                                        logger: Logger(label: "serin.git"))
        let ledger = RolloutLedger(
            writer: LedgerWriter(mirror: mirror, configuration: ledgerConfiguration, logger: Logger(label: "serin.ledger")),
            reader: LedgerReader(mirror: mirror, branch: ledgerBranch, readsLocalWhenUnreachable: startsFromMirror,
                                 logger: Logger(label: "serin.ledger")),
            logger: Logger(label: "serin.ledger"))
        let metrics = (prometheusUrl ?? RunCommand.environment["SERIN_PROMETHEUS_URL"]).map {
            PrometheusClient(configuration: PrometheusConfiguration(url: $0), logger: Logger(label: "serin.gates"))
        }
        let checker = GateChecker(metrics: metrics, webhooks: WebhookClient(logger: Logger(label: "serin.gates")),
                                  logger: Logger(label: "serin.gates"))
        let now: @Sendable () -> Timestamp = { Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000)) }

        switch selected {
        case .local:
            try await runLocally(source: source, ledger: ledger, checker: checker, now: now, state: stateDirectory,
                                 pollInterval: pollInterval, logger: logger, watching: gitRemote.displayURL)
        case .kubernetes:
            try await runOnKubernetes(source: source, ledger: ledger, checker: checker, now: now,
                                      pollInterval: pollInterval, logger: logger, watching: gitRemote.displayURL)
        }
    }

    /// What model servers do not inherit from Serin's environment: Serin's settings and secrets (every `SERIN_`
    /// variable, the webhook secret among them), the variable `--password-env` names, which holds the Git token, and
    /// the service manager's notification socket and watchdog settings, which are Serin's to report on.
    private var withheldEnvironment: Set<String> {
        var names = Set(RunCommand.environment.keys.filter { $0.hasPrefix("SERIN_") })
        if let passwordEnv = remote.passwordEnv { names.insert(passwordEnv) }
        names.formUnion([ServiceManagerNotifier.socketVariable, ServiceWatchdog.timeoutVariable, ServiceWatchdog.processVariable])
        return names
    }

    private func runLocally(source: DesiredStateSource, ledger: RolloutLedger, checker: GateChecker, now: @escaping @Sendable () -> Timestamp,
                            state: String, pollInterval: Duration, logger: Logger, watching: String) async throws {
        guard let (host, port) = RunCommand.address(routerListen) else { return }
        let router: ModelRouter
        do {
            let upstreamTimeout = SpecDuration(parsing: routerUpstreamTimeout)?.duration ?? .seconds(60)
            let threads = RunCommand.count(routerThreads, environment: "SERIN_ROUTER_THREADS")
            router = try await ModelRouter.start(RouterConfiguration(host: host, port: port, upstreamTimeout: upstreamTimeout,
                                                                     threads: threads, serverVersion: SerinVersion.current),
                                                 logger: Logger(label: "serin.router"))
        } catch {
            throw OperationFailure(description: "\(error)")
        }
        let archive = GitRevisionArchive(mirror: source.mirror, ledger: LedgerReader(mirror: source.mirror, branch: ledgerBranch),
                                         root: path)
        let localRuntime = LocalRuntime(configuration: .init(stateDirectory: state, withheldEnvironment: withheldEnvironment),
                                        router: router, archive: archive,
                                        logger: Logger(label: "serin.local"))
        let reconciler = ModelReconciler(runtime: localRuntime, gates: RouterGateMeasurer(router: router, checker: checker),
                                         ledger: ledger, now: now, logger: Logger(label: "serin.rollout"))
        let notifier = ServiceManagerNotifier(environment: RunCommand.environment, logger: logger)
        let routerURL = "http://\(host):\(router.port)"
        let readiness = ReadinessTracker(role: .leader, onFirstReady: {
            notifier?.status("Serving models at \(routerURL); watching \(watching) (branch \(branch))")
        })
        let metrics = SerinMetrics()
        let loop = ReconcileLoop(source: source, reconciler: reconciler, clock: ContinuousClock(),
                                 configuration: .init(workers: workerCount, schedule: SyncSchedule(interval: pollInterval)),
                                 metrics: metrics, readiness: readiness, logger: Logger(label: "serin.operator"))
        let endpoints = try await startEndpoints(loop: loop, metrics: metrics, readiness: readiness)
        // The router and the endpoints logged their addresses as they started listening.
        logger.info("Serin \(SerinVersion.current) is watching \(watching) (branch \(branch), \(path)/), recording rollouts on \(ledgerBranch)")
        // Ready as soon as it listens, not at the first sync: with Git unreachable, it serves what it last fetched,
        // and a service manager waiting for the sync would stop it for taking too long.
        notifier?.ready(status: "Router at \(routerURL); reading the desired state from \(watching)")
        // Shut down in reverse: the loop stops taking work first; then the router stops taking requests and lets
        // those in flight finish; only then does the runtime stop the model servers, so a stop costs no request a 502.
        let watchdogProbes = [
            ServiceWatchdog.Probe(name: "router") { await router.unresponsiveThreads(within: $0) },
            ServiceWatchdog.Probe(name: "endpoints") { await endpoints.unresponsiveThreads(within: $0) },
        ]
        await runUntilSignalled(logger: logger, notifier: notifier, watchdogProbes: watchdogProbes, services: [
            ("local runtime", { await localRuntime.run() }),
            ("router", {
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                try? await router.stop()
            }),
            ("operator loop", { await loop.run() }),
        ])
        await endpoints.stop()
        await flush(ledger, logger: logger)
        logger.info("stopped")
    }

    private func runOnKubernetes(source: DesiredStateSource, ledger: RolloutLedger, checker: GateChecker,
                                 now: @escaping @Sendable () -> Timestamp, pollInterval: Duration, logger: Logger,
                                 watching: String) async throws {
        let configuration: KubeConfiguration
        do {
            configuration = try kubeconfig.map { try KubeConfiguration.kubeconfig(path: $0, context: context) }
                ?? KubeConfiguration.load(context: context)
        } catch {
            throw OperationFailure(description: "\(error)")
        }
        let client = KubeClient(configuration: configuration, logger: Logger(label: "serin.kube"))
        let namespace = self.namespace ?? RunCommand.environment["SERIN_NAMESPACE"]
        let defaultProvider = (defaultTrafficProvider ?? RunCommand.environment["SERIN_DEFAULT_TRAFFIC_PROVIDER"]).flatMap(RunCommand.clusterProvider)
        let kubeRuntime = KubernetesRuntime(client: client, configuration: .init(namespace: namespace, defaultProvider: defaultProvider),
                                            logger: Logger(label: "serin.runtime"))
        let replacement = (defaultMetricsSource ?? RunCommand.environment["SERIN_DEFAULT_METRICS_SOURCE"]).flatMap { KubernetesGateMeasurer.names[$0] }
        let reconciler = ModelReconciler(runtime: kubeRuntime, gates: KubernetesGateMeasurer(checker: checker, replacement: replacement),
                                         ledger: ledger, now: now,
                                         logger: Logger(label: "serin.rollout"))
        let notifier = ServiceManagerNotifier(environment: RunCommand.environment, logger: logger)
        let readiness = ReadinessTracker(role: leaderElect ? .undecided : .leader, onFirstReady: {
            notifier?.ready(status: "Reconciling models on Kubernetes; watching \(watching) (branch \(branch))")
        })
        let metrics = SerinMetrics()
        let loop = ReconcileLoop(source: source, reconciler: reconciler, clock: ContinuousClock(),
                                 configuration: .init(workers: workerCount, schedule: SyncSchedule(interval: pollInterval)),
                                 metrics: metrics, readiness: readiness, logger: Logger(label: "serin.operator"))
        let signal = LeaseSyncSignal()
        let elector = leaderElect ? LeaderElector(
            client: client,
            configuration: .init(leaseName: "serin-operator", namespace: namespace ?? configuration.namespace),
            logger: Logger(label: "serin.leader"),
            onLeaderRead: { annotations in signal.leaderRead(annotations) { loop.syncNow() } }) : nil
        // A webhook that reaches a standby is passed on to the leader through the Lease.
        let endpointsLogger = Logger(label: "serin.endpoints")
        let endpoints = try await startEndpoints(loop: loop, metrics: metrics, readiness: readiness, syncNow: {
            guard let elector, readiness.role != .leader else { return loop.syncNow() }
            Task { await signal.request(through: elector, logger: endpointsLogger) }
        })
        logger.info("Serin \(SerinVersion.current) is watching \(watching) (branch \(branch), \(path)/), recording rollouts on \(ledgerBranch)")
        logger.info("Kubernetes API: \(configuration)\(namespace.map { ", namespace \($0)" } ?? ", every namespace")")
        // Informers run on standbys too, so a new leader starts with warm caches; the loop stops first on shutdown.
        let watchdogProbes = [ServiceWatchdog.Probe(name: "endpoints") { await endpoints.unresponsiveThreads(within: $0) }]
        await runUntilSignalled(logger: logger, notifier: notifier, watchdogProbes: watchdogProbes, services: [
            ("kubernetes runtime", { await kubeRuntime.run() }),
            ("operator loop", {
                if let elector {
                    readiness.setRole(.standby)
                    await elector.run {
                        readiness.setRole(.leader)
                        await loop.run()
                    }
                    // Leadership ended without a shutdown: stop, and let a fresh start contend again (Kubernetes
                    // restarts the container), rather than risk two leaders.
                    if !Task.isCancelled { logger.error("lost the serin-operator lease; stopping") }
                } else {
                    await loop.run()
                }
            }),
        ])
        await endpoints.stop()
        await flush(ledger, logger: logger)
        logger.info("stopped")
    }

    /// Pushes any ledger commit a failed push left behind, so a shutdown loses no transition.
    private func flush(_ ledger: RolloutLedger, logger: Logger) async {
        do {
            try await ledger.flush()
        } catch {
            logger.error("ledger commits could not be pushed before stopping; they stay in the mirror and go out with the next transition", metadata: ["error": "\(error)"])
        }
    }

    /// Serin's own HTTP endpoints: webhooks that trigger a sync, /metrics, /healthz and /readyz.
    private func startEndpoints(loop: ReconcileLoop<ContinuousClock>, metrics: SerinMetrics, readiness: ReadinessTracker,
                                syncNow: (@Sendable () -> Void)? = nil) async throws -> EndpointsServer {
        guard let (host, port) = RunCommand.address(listen) else { throw ValidationError("--listen must be HOST:PORT") }
        let secrets = WebhookSecretSources.commandLine(secretFile: webhookSecretFile ?? RunCommand.environment["SERIN_WEBHOOK_SECRET_FILE"],
                                                       environment: RunCommand.environment)
        do {
            return try await EndpointsServer.start(
                EndpointsConfiguration(host: host, port: port, branch: branch, webhookSecrets: secrets), metrics: metrics,
                syncNow: syncNow ?? { loop.syncNow() }, readiness: { readiness.readiness }, logger: Logger(label: "serin.endpoints"))
        } catch {
            throw OperationFailure(description: "\(error)")
        }
    }

    /// Runs `services` in a ServiceLifecycle group until SIGINT or SIGTERM, then shuts them down gracefully in reverse
    /// order: each returns once its work is finished or safely abandoned. The service manager, if any, is told of the
    /// shutdown first. When it keeps a watchdog on Serin, Serin tells it that it is alive for as long as every
    /// `watchdogProbes` answers, until the last service has stopped.
    private func runUntilSignalled(logger: Logger, notifier: ServiceManagerNotifier?, watchdogProbes: [ServiceWatchdog.Probe],
                                   services: [(name: String, run: @Sendable () async -> Void)]) async {
        let announceStopping: @Sendable () -> Void = {
            notifier?.stopping(status: "Stopping: finishing the requests and rollout steps in progress")
        }
        var services = services
        if let notifier, let watchdog = ServiceWatchdog(environment: RunCommand.environment, processID: getpid()) {
            let watchdogLogger = Logger(label: "serin.watchdog")
            services.insert(("service watchdog", {
                await watchdog.run(probes: watchdogProbes, ping: { notifier.watchdog() }, logger: watchdogLogger)
            }), at: 0)
        }
        var configurations: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for (index, service) in services.enumerated() {
            var task = GracefulTask(name: service.name, body: service.run, logger: logger)
            // The last service is the first to hear of the shutdown.
            if index == services.count - 1 { task.onShutdown = announceStopping }
            configurations.append(ServiceGroupConfiguration.ServiceConfiguration(service: task))
        }
        var configuration = ServiceGroupConfiguration(services: configurations, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(60)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
        }
    }
}

/// A long-running part of `serin run` as a ServiceLifecycle service: graceful shutdown cancels its body, which
/// finishes or safely abandons its work and returns.
struct GracefulTask: Service, CustomStringConvertible {
    let name: String
    let body: @Sendable () async -> Void
    let logger: Logger
    /// Runs as the shutdown reaches this service, before its body is cancelled.
    var onShutdown: @Sendable () -> Void = {}

    var description: String { name }

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { await body() }
        } onGracefulShutdown: {
            onShutdown()
            logger.info("stopping the \(name)")
        }
    }
}

