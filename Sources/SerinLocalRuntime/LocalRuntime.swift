import Foundation
import Logging
import SerinCore
import SerinHTTP
import SerinOperator

/// The embedded runtime: each model revision runs as a child process on this machine, started from
/// `spec.runtime.command`, behind Serin's router.
///
/// - One process per revision (`replicas` above 0 runs it, 0 stops it): one machine gains nothing from more.
/// - Each gets a free loopback port (`{{port}}`), a working directory and a rotating log under the state directory,
///   and Serin's environment plus `spec.runtime.env`.
/// - Readiness is `readinessPath` answering 2xx, polled. A process that exits is restarted with exponential
///   backoff; three exits within five minutes are a crash loop, reported as a failed workload (which rolls a canary
///   back). A command that cannot be found fails at once.
/// - A server's environment is Serin's, less `Configuration.withheldEnvironment`, plus `spec.runtime.env`.
/// - Stopping sends SIGTERM to the process group, then SIGKILL after the grace period. Every child is reaped.
/// - The state directory records each revision's spec and process group, so a restarted Serin stops what an earlier
///   one left running (nothing is orphaned) and can start the stable version again from its recorded spec.
public actor LocalRuntime: ModelRuntime {
    public struct Configuration: Sendable {
        public var stateDirectory: String
        public var stopGrace: Duration
        public var probeInterval: Duration
        public var crashLoopRestarts: Int
        public var crashLoopWindow: Duration
        /// How long a started server may stay unready before a warning says so (then again after twice as long, up
        /// to every `notReadyReportCeiling`): a wrong readiness path would otherwise pass in silence until the
        /// rollout's progress deadline, ten minutes by default.
        public var notReadyReportAfter: Duration
        public var notReadyReportCeiling: Duration
        /// Variables of Serin's environment that model servers do not inherit: Serin's own secrets and settings.
        /// A model server runs whatever command a merged commit names, so it must not be handed the Git token or
        /// the webhook secret that would let it push to the repository or forge a sync. `spec.runtime.env` can
        /// still set any of these names.
        public var withheldEnvironment: Set<String>

        public init(stateDirectory: String, stopGrace: Duration = .seconds(10), probeInterval: Duration = .milliseconds(250),
                    crashLoopRestarts: Int = 3, crashLoopWindow: Duration = .seconds(300),
                    notReadyReportAfter: Duration = .seconds(30), notReadyReportCeiling: Duration = .seconds(300),
                    withheldEnvironment: Set<String> = []) {
            self.withheldEnvironment = withheldEnvironment
            self.stateDirectory = stateDirectory
            self.stopGrace = stopGrace
            self.probeInterval = probeInterval
            self.crashLoopRestarts = crashLoopRestarts
            self.crashLoopWindow = crashLoopWindow
            self.notReadyReportAfter = notReadyReportAfter
            self.notReadyReportCeiling = notReadyReportCeiling
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noCommand(DeploymentKey)
        case unknownRevision(DeploymentKey, ServingRevision)
        case stateDirectory(String, String)

        public var description: String {
            switch self {
            case .noCommand(let key):
                "\(key): spec.runtime.command is not set, and the local runtime starts model servers from it; add the command that starts the server (e.g. [mlserver, start, .])"
            case .unknownRevision(let key, let revision):
                "\(key): revision \(revision) has no recorded spec in the state directory, and no desired commit in the ledger holds it, so it cannot be started again; commit the version to run, or remove the model"
            case .stateDirectory(let path, let reason):
                "the state directory \(path) cannot be used: \(reason)"
            }
        }
    }

    /// One revision's process and what Serin knows about it.
    private struct Supervised {
        var deployment: ModelDeployment
        var revision: ServingRevision
        var directory: String
        var log: RotatingLogFile
        var wantsRunning = false
        var child: ChildProcess?
        var port: Int?
        var ready = false
        /// Readiness probes failed in a row since the last that passed.
        var failedProbes = 0
        var exits: [ContinuousClock.Instant] = []
        var restartAt: ContinuousClock.Instant?
        var failure: String?
        var lastExit: String?
        /// What the last readiness probe that did not pass got, in words (`answered 404`).
        var lastProbeFailure: String?
        /// Since when the server has not been ready (its start, or the moment it stopped being ready), and when to
        /// warn next that it still is not.
        var notReadySince: ContinuousClock.Instant?
        var notReadyReportAt: ContinuousClock.Instant?
        var notReadyReportDelay: Duration = .zero

        var key: DeploymentKey { deployment.key }
    }

    public let configuration: Configuration
    private let router: any LocalTrafficRouting
    private let archive: (any RevisionArchive)?
    private let logger: Logger
    private var processes: [DeploymentKey: [String: Supervised]] = [:]
    private var routes: [DeploymentKey: TrafficSplit] = [:]
    private var publishedRoutes: [LocalRoute]?
    /// Models left out of the routes because another model on this machine already serves their name: the router
    /// routes `/v2/models/<name>/…` by name alone. Each maps to the name and the model that holds it.
    private var nameConflicts: [DeploymentKey: (modelName: String, heldBy: DeploymentKey)] = [:]
    /// The version each revision is routed, counted and drained under in the router, by model and digest: its
    /// version, or `version@digest` (`ServingRevision.description`) for a second revision of a version another
    /// revision of the model already holds, since the router tells upstreams apart by that name.
    private var routingLabels: [DeploymentKey: [String: String]] = [:]
    /// Each model's last reconcile context: supervision logs outside any reconcile, and its lines about a model
    /// still name the desired commit that model is at.
    private var logContexts: [DeploymentKey: ModelLogContext] = [:]
    private let (events, eventSink) = AsyncStream<DeploymentKey>.makeStream()

    /// Stops whatever an earlier Serin left running in this state directory before anything new starts. `archive`
    /// recovers the spec of a revision the state directory lost (it was deleted, or Serin moved machines).
    public init(configuration: Configuration, router: any LocalTrafficRouting, archive: (any RevisionArchive)? = nil,
                logger: Logger = Logger(label: "serin.local")) {
        self.configuration = configuration
        self.router = router
        self.archive = archive
        self.logger = logger
        Self.stopLeftovers(stateFile: configuration.stateDirectory + "/processes.json", grace: configuration.stopGrace, logger: logger)
    }

    // MARK: ModelRuntime

    public func workloads(of key: DeploymentKey) -> [String: WorkloadObservation] {
        let conflict = nameConflicts[key].map(Self.nameConflictMessage)
        return (processes[key] ?? [:]).mapValues { process in
            if let failure = process.failure ?? conflict { return WorkloadObservation(isReady: false, hasFailed: true, message: failure) }
            if !process.wantsRunning { return WorkloadObservation(isReady: false, message: "stopped") }
            let lastLine = process.log.lastLines(1).first.map { "; last output: \($0)" } ?? ""
            let message = process.ready ? nil : process.lastExit.map { "restarting: it \($0)\(lastLine)" }
                ?? "waiting for \(Self.readinessPath(of: process)) to answer 2xx"
                    + (process.lastProbeFailure.map { "; it \($0)" } ?? "")
            return WorkloadObservation(isReady: process.ready, message: message)
        }
    }

    public func perform(_ actions: [RolloutAction], key: DeploymentKey, desired: ModelDeployment?) async throws {
        if let context = ModelLogContext.current, context.key == key { logContexts[key] = context }
        for action in actions {
            switch action {
            case .deploy(let revision, let replicas):
                try await ensure(revision, key: key, desired: desired, running: replicas > 0)
            case .scale(let revision, let replicas):
                if processes[key]?[revision.digest] != nil {
                    try await ensure(revision, key: key, desired: desired, running: replicas > 0)
                }
            case .route(let split):
                // Routing nothing for a model this runtime runs nothing for (a removal repeated after a restart)
                // leaves it without a route: an empty one would answer 503, "no version ready", where 404 is right.
                routes[key] = split == .none && processes[key] == nil ? nil : split
                await publishRoutes()
            case .remove(let revision):
                await remove(revision, key: key)
            }
        }
        if processes[key]?.isEmpty == true {
            processes[key] = nil
            routes[key] = nil
            await publishRoutes()
        }
    }

    public func deployedModels() -> Set<DeploymentKey> {
        var keys = Set(processes.keys)
        keys.formUnion(recordedRevisions().map(\.key))
        return keys
    }

    public func changes() -> AsyncStream<DeploymentKey> { events }

    // MARK: Supervision

    /// Supervises processes until cancelled, then stops them all.
    public func run() async {
        while !Task.isCancelled {
            await superviseOnce()
            try? await Task.sleep(for: configuration.probeInterval)
        }
        await stopAll()
    }

    /// One round: notice exits, restart what is due, probe readiness.
    func superviseOnce() async {
        let now = ContinuousClock.now
        var probes: [(DeploymentKey, String, Int, String)] = []
        for (key, revisions) in processes {
            for (digest, var process) in revisions {
                defer { processes[key]?[digest] = process }
                if let child = process.child, let exit = child.exitStatus {
                    process.child = nil
                    process.ready = false
                    guard process.wantsRunning else { continue }
                    process.exits = process.exits.filter { now - $0 < configuration.crashLoopWindow } + [now]
                    process.lastExit = exit.description
                    let lines = process.log.lastLines()
                    if process.exits.count >= configuration.crashLoopRestarts {
                        process.failure = "crash loop: it \(exit.description) \(process.exits.count) times within \(configuration.crashLoopWindow)" +
                            (lines.isEmpty ? "" : "; last output: " + lines.joined(separator: " | "))
                        logger.error("model server is crash looping; not restarting it",
                                     metadata: metadata(of: process, ["log": "\(process.log.path)"]))
                    } else {
                        let backoff = Duration.seconds(1) * (1 << (process.exits.count - 1))
                        process.restartAt = now + backoff
                        logger.warning("model server \(exit.description); restarting it",
                                       metadata: metadata(of: process, ["in": "\(backoff)"]))
                    }
                    eventSink.yield(key)
                    continue
                }
                if process.wantsRunning, process.child == nil, process.failure == nil, process.restartAt.map({ $0 <= now }) ?? true {
                    start(&process)
                    eventSink.yield(key)
                }
                if let port = process.port, process.child != nil {
                    probes.append((key, digest, port, Self.readinessPath(of: process)))
                }
            }
        }
        let results = await withTaskGroup(of: (DeploymentKey, String, String?).self) { group in
            for (key, digest, port, path) in probes {
                group.addTask { (key, digest, await Self.probe(port: port, path: path)) }
            }
            var results: [(DeploymentKey, String, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
        for (key, digest, failure) in results {
            guard var process = processes[key]?[digest], process.child != nil else { continue }
            let passed = failure == nil
            if let failure { process.lastProbeFailure = failure }
            reportIfStillNotReady(&process, passed: passed, now: now)
            process.failedProbes = passed ? 0 : process.failedProbes + 1
            // A ready server is taken out of traffic after three failed probes in a row (Kubernetes' default
            // failureThreshold), not one: a probe can time out on a server busy with a long inference. A server that
            // exits is taken out at once, above.
            let ready = passed || (process.ready && process.failedProbes < Self.probeFailureThreshold)
            guard process.ready != ready else {
                processes[key]?[digest] = process
                continue
            }
            process.ready = ready
            if ready {
                process.lastExit = nil
                process.lastProbeFailure = nil
                process.notReadySince = nil
            } else {
                process.notReadySince = now
            }
            processes[key]?[digest] = process
            logger.info(ready ? "model server is ready" : "model server is no longer ready",
                        metadata: metadata(of: process, ["port": "\(process.port ?? 0)"]))
            eventSink.yield(key)
        }
        // A restarted server listens on a new port.
        await publishRoutes()
    }

    private static let probeFailureThreshold = 3

    private static func readinessPath(of process: Supervised) -> String {
        let path = process.deployment.spec.runtime.readinessPath
        return path.hasPrefix("/") ? path : "/" + path
    }

    /// Probes `path`: nil when it answers 2xx, else what happened instead, in words.
    private static func probe(port: Int, path: String) async -> String? {
        let request = HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)\(path)",
                                  connectTimeout: .seconds(1), timeout: .seconds(2), maxBodyBytes: 1 << 16)
        do {
            let response = try await HTTPTransport.send(request)
            return (200..<300).contains(response.status) ? nil : "answered \(response.status)"
        } catch {
            return "did not answer: \(error)"
        }
    }

    /// Warns while a started server stays unready: first `notReadyReportAfter` after it started, then after twice
    /// as long each time, up to `notReadyReportCeiling`. Probes that fail while the server is still loading its
    /// model are expected, so nothing is said before the first delay.
    private func reportIfStillNotReady(_ process: inout Supervised, passed: Bool, now: ContinuousClock.Instant) {
        guard !process.ready, !passed, let since = process.notReadySince else {
            process.notReadyReportAt = nil
            return
        }
        guard let due = process.notReadyReportAt else {
            process.notReadyReportDelay = configuration.notReadyReportAfter
            process.notReadyReportAt = since + configuration.notReadyReportAfter
            return
        }
        guard now >= due else { return }
        logger.warning("model server is not ready yet", metadata: metadata(of: process, [
            "waited": "\(SpecDuration.seconds((now - since).components.seconds))",
            "probe": "GET \(Self.readinessPath(of: process)) \(process.lastProbeFailure ?? "failed")",
            "log": "\(process.log.path)",
        ]))
        process.notReadyReportDelay = min(process.notReadyReportDelay * 2, configuration.notReadyReportCeiling)
        process.notReadyReportAt = now + process.notReadyReportDelay
    }

    // MARK: Actions

    private func ensure(_ revision: ServingRevision, key: DeploymentKey, desired: ModelDeployment?, running: Bool) async throws {
        if processes[key]?[revision.digest] == nil {
            let deployment: ModelDeployment
            if let desired, desired.revision == revision {
                deployment = desired
            } else if let recorded = recordedSpec(key: key, digest: revision.digest) {
                deployment = recorded
            } else if let archived = await archive?.spec(of: key, digest: revision.digest) {
                deployment = archived
            } else {
                throw Failure.unknownRevision(key, revision)
            }
            guard deployment.spec.runtime.command?.isEmpty == false else { throw Failure.noCommand(key) }
            let directory = revisionDirectory(key: key, digest: revision.digest)
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try Data(YAMLWriter.write(deployment.yamlValue).utf8).write(to: URL(fileURLWithPath: directory + "/spec.yaml"))
            } catch {
                throw Failure.stateDirectory(directory, "\(error)")
            }
            // The archive is awaited above, so check again rather than replace an entry made meanwhile.
            if processes[key]?[revision.digest] == nil {
                processes[key, default: [:]][revision.digest] = Supervised(
                    deployment: deployment, revision: revision, directory: directory, log: RotatingLogFile(path: directory + "/server.log"))
            }
        }
        if !running, let process = processes[key]?[revision.digest], process.wantsRunning, process.child != nil {
            // A version stopped in place (a rolled-back canary, a stable version during a recreate) may still have
            // requests in flight, as a removed one may: they finish before its process is told to stop.
            await router.drain(key, version: routingLabel(of: revision, key: key), timeout: configuration.stopGrace)
        }
        guard var process = processes[key]?[revision.digest] else { return }
        if process.wantsRunning == running { return }
        process.wantsRunning = running
        if running {
            process.failure = nil
            process.exits = []
            process.restartAt = nil
            start(&process)
        } else if let child = process.child {
            child.stop(grace: configuration.stopGrace)
            process.child = nil
            process.ready = false
        }
        processes[key]?[revision.digest] = process
        saveState()
    }

    private func start(_ process: inout Supervised) {
        guard let command = process.deployment.spec.runtime.command, let executable = command.first else { return }
        // A server that cannot start is news for the model's reconcile now, not at its next look.
        defer { if process.failure != nil { eventSink.yield(process.key) } }
        if let missing = Self.missingModelFile(process.deployment.spec) {
            // The server could only fail to load it, restart after restart: say what is missing at once instead.
            process.failure = "spec.model.uri: \(missing) does not exist on this machine, where the local runtime's model "
                + "servers read file:// models; commit the model file at that path, or correct the uri"
            logger.error("cannot start the model server", metadata: metadata(of: process, ["error": "\(process.failure ?? "")"]))
            return
        }
        guard let port = ChildProcess.freeLoopbackPort() else {
            process.failure = "no free loopback port"
            return
        }
        let spec = process.deployment.spec
        let render = { (text: String) in RuntimeTemplate.render(text, model: spec.model, port: port) }
        let withheld = withheldVariables(starting: process.deployment)
        var environment = ProcessInfo.processInfo.environment.filter { !withheld.contains($0.key) }
        for variable in spec.runtime.env { environment[variable.name] = render(variable.value) }
        let arguments = (command.dropFirst() + spec.runtime.args).map(render)
        do {
            process.child = try ChildProcess.spawn(render(executable), arguments, environment: environment, directory: process.directory,
                                                   log: process.log, onExit: { _ in })
            process.port = port
            process.ready = false
            process.notReadySince = .now
            process.notReadyReportAt = nil
            logger.info("started model server", metadata: metadata(of: process, [
                "port": "\(port)", "pid": "\(process.child?.pid ?? 0)", "log": "\(process.log.path)",
            ]))
        } catch {
            // Nothing to retry: the command itself is wrong.
            if let command = error.command {
                process.failure = "spec.runtime.command: \(command)"
                    + (command.isCommandNotFound ? "; install it on this machine, or give the path of its executable" : "")
            } else {
                process.failure = "cannot start the model server: \(error)"
            }
            logger.error("cannot start the model server", metadata: metadata(of: process, ["error": "\(process.failure ?? "")"]))
        }
        saveState()
    }

    /// The path of the `file://` model the server is told to load (its runtime template uses `{{model.uri}}`) when
    /// nothing is there. A uri no template uses is the server's business, not the runtime's.
    private static func missingModelFile(_ spec: ModelDeploymentSpec) -> String? {
        guard let path = spec.model.uri.filePath else { return nil }
        let templates = (spec.runtime.command ?? []) + spec.runtime.args + spec.runtime.env.map(\.value)
        guard templates.contains(where: { RuntimeTemplate.placeholders(in: $0).contains("model.uri") }) else { return nil }
        return FileManager.default.fileExists(atPath: path) ? nil : path
    }

    private func remove(_ revision: ServingRevision, key: DeploymentKey) async {
        if let process = processes[key]?[revision.digest] {
            if process.child != nil {
                await router.drain(key, version: routingLabel(of: revision, key: key), timeout: configuration.stopGrace)
            }
            process.child?.stop(grace: configuration.stopGrace)
            processes[key]?[revision.digest] = nil
            routingLabels[key]?[revision.digest] = nil
            logger.info("removed model version", metadata: metadata(of: key, version: revision.version))
        }
        try? FileManager.default.removeItem(atPath: revisionDirectory(key: key, digest: revision.digest))
        saveState()
    }

    private func publishRoutes() async {
        var table: [LocalRoute] = []
        // A name goes to the model the router already sends it to, else to the first model by key; the others are
        // left out, rather than the router refusing the whole table and every other model's changes with it.
        var owners: [String: DeploymentKey] = [:]
        for route in publishedRoutes ?? [] where routes[route.key] != nil { owners[route.modelName] = route.key }
        var conflicts: [DeploymentKey: (modelName: String, heldBy: DeploymentKey)] = [:]
        for (key, split) in routes.sorted(by: { $0.key < $1.key }) {
            let revisions = processes[key] ?? [:]
            // Only a server that answers its readiness probe is routed, as a Kubernetes Service lists only ready pods:
            // until then (starting, or restarting after a crash) its share goes to the other version, or the model
            // answers 503 when neither is ready, rather than 502 from a port nothing listens on.
            func upstream(_ revision: ServingRevision?) -> LocalUpstream? {
                guard let revision, let process = revisions[revision.digest], process.ready, let port = process.port
                else { return nil }
                return LocalUpstream(version: routingLabel(of: revision, key: key), port: port)
            }
            // The stable side first, so that it keeps its plain version when a new revision of it arrives.
            for revision in [split.stable, split.canary].compactMap({ $0 }) where revisions[revision.digest] != nil {
                _ = routingLabel(of: revision, key: key)
            }
            let modelName = (split.stable ?? split.canary).flatMap { revisions[$0.digest]?.deployment.spec.model.name } ?? key.name
            if let owner = owners[modelName], owner != key {
                conflicts[key] = (modelName, owner)
                continue
            }
            owners[modelName] = key
            table.append(LocalRoute(key: key, modelName: modelName, stable: upstream(split.stable), canary: upstream(split.canary),
                                    canaryWeight: split.canaryWeight))
        }
        for (key, conflict) in conflicts where nameConflicts[key]?.heldBy != conflict.heldBy {
            logger.error("model name already served on this machine",
                         metadata: metadata(of: key, version: nil, ["error": "\(Self.nameConflictMessage(conflict))"]))
            eventSink.yield(key)
        }
        nameConflicts = conflicts
        guard table != publishedRoutes else { return }
        let previous = publishedRoutes ?? []
        publishedRoutes = table
        // One line per split the router is given (a route can change without changing the split: the first version
        // moving from canary to stable), logged before the call below suspends, so the lines keep the order of the
        // changes even when a later publish reaches the router first. The line is about the split, not one version:
        // it carries none, where the current context would label it with the desired version even while the split
        // serves another (a rollback).
        for route in table where previous.first(where: { $0.key == route.key })?.sharesText != route.sharesText {
            ModelLogContext.$current.withValue(context(of: route.key)?.withoutVersion) {
                logger.info("traffic shifted", metadata: metadata(of: route.key, version: nil, ["shares": "\(route.sharesText)"]))
            }
        }
        await router.route(table)
        // The router is called off this actor, so a publish that started while this one was suspended may have reached
        // the router first, leaving it on this older table: send the latest again, so the router ends on it.
        if let latest = publishedRoutes, latest != table {
            await router.route(latest)
        }
    }

    /// The name `revision` has in the router (see `routingLabels`), given on first use and kept until it is removed.
    private func routingLabel(of revision: ServingRevision, key: DeploymentKey) -> String {
        if let label = routingLabels[key]?[revision.digest] { return label }
        let taken = Set((routingLabels[key] ?? [:]).values)
        let label = taken.contains(revision.version) ? revision.description : revision.version
        routingLabels[key, default: [:]][revision.digest] = label
        return label
    }

    private static func nameConflictMessage(_ conflict: (modelName: String, heldBy: DeploymentKey)) -> String {
        "the model name \"\(conflict.modelName)\" is already served by \(conflict.heldBy) on this machine; the local "
            + "router routes /v2/models/<name>/… by name alone, so give spec.model.name a name no other model uses"
    }

    /// The context of the work on `key`: the current one when it is about `key` (a publish during one model's
    /// reconcile can log another's line), else the last one `key`'s work ran with.
    private func context(of key: DeploymentKey) -> ModelLogContext? {
        if let current = ModelLogContext.current, current.key == key { return current }
        return logContexts[key]
    }

    /// What a line about `key` carries: the model, the version it is about (none for a line about the whole model),
    /// and the desired commit.
    private func metadata(of key: DeploymentKey, version: String?, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = context(of: key)?.metadata ?? ["model": "\(key)"]
        metadata["version"] = version.map { "\($0)" }
        return metadata.merging(extra) { _, new in new }
    }

    private func metadata(of process: Supervised, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        metadata(of: process.key, version: process.revision.version, extra)
    }

    private func stopAll() async {
        ChildProcess.stop(processes.values.flatMap { $0.values.compactMap(\.child) }, grace: configuration.stopGrace)
        for (key, revisions) in processes {
            for digest in revisions.keys { processes[key]?[digest]?.child = nil }
        }
        saveState()
    }

    // MARK: State directory

    private func revisionDirectory(key: DeploymentKey, digest: String) -> String {
        "\(configuration.stateDirectory)/models/\(key.namespace)/\(key.name)/\(digest)"
    }

    private var stateFile: String { configuration.stateDirectory + "/processes.json" }

    /// The variables of Serin's environment a server does not inherit: the configured ones, and the signing keys the
    /// webhook gates of every model on this machine read (`secret: {env: NAME}`), since any model's server could
    /// otherwise read another model's key.
    private func withheldVariables(starting deployment: ModelDeployment) -> Set<String> {
        let deployments = processes.values.flatMap(\.values).map(\.deployment) + [deployment]
        return configuration.withheldEnvironment.union(deployments.flatMap(\.spec.rollout.gates).compactMap(\.secretEnvironmentName))
    }

    /// Records the process groups running now, so that a Serin started after a crash can stop them.
    private func saveState() {
        var entries: [JSONValue] = []
        for (key, revisions) in processes {
            for process in revisions.values {
                guard let child = process.child else { continue }
                var entry: [String: JSONValue] = ["namespace": .string(key.namespace), "name": .string(key.name),
                                                  "digest": .string(process.revision.digest), "pid": .integer(Int64(child.pid))]
                if let identity = child.identity {
                    entry["boot"] = .string(identity.bootID)
                    entry["started"] = .integer(Int64(clamping: identity.startTime))
                }
                entries.append(.object(entry))
            }
        }
        let document: JSONValue = ["processes": .array(entries)]
        try? FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        try? Data(document.serialized.utf8).write(to: URL(fileURLWithPath: stateFile), options: .atomic)
    }

    private static func stopLeftovers(stateFile: String, grace: Duration, logger: Logger) {
        guard let data = FileManager.default.contents(atPath: stateFile),
              let document = try? JSONValue(parsing: Array(data)) else { return }
        let bootID = ProcessIdentity.currentBootID()
        for entry in document["processes"]?.arrayValue ?? [] {
            guard let pid = entry["pid"]?.integerValue, let group = pid_t(exactly: pid) else { continue }
            let recorded = entry["boot"]?.stringValue.flatMap { boot in
                entry["started"]?.integerValue.flatMap(UInt64.init(exactly:)).map { ProcessIdentity(bootID: boot, startTime: $0) }
            }
            switch ProcessIdentity.judge(recorded: recorded, bootID: bootID, running: ProcessIdentity.of(group)) {
            case .stop:
                logger.info("stopping a model server an earlier Serin left running", metadata: ["pid": "\(pid)"])
                ChildProcess.stopOrphan(processGroup: group, grace: grace)
            case .goneWithReboot:
                logger.debug("a model server an earlier Serin recorded ran before this machine restarted; nothing of it is left",
                             metadata: ["pid": "\(pid)"])
            case .reused:
                logger.info("not stopping a recorded model server: its pid now belongs to another process",
                            metadata: ["pid": "\(pid)"])
            }
        }
        try? FileManager.default.removeItem(atPath: stateFile)
    }

    private func recordedSpec(key: DeploymentKey, digest: String) -> ModelDeployment? {
        let path = revisionDirectory(key: key, digest: digest) + "/spec.yaml"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return DesiredState.decode([SourceFile(path: path, contents: Array(data), size: data.count)]).state.deployments.first
    }

    private func recordedRevisions() -> [(key: DeploymentKey, digest: String)] {
        let root = configuration.stateDirectory + "/models"
        var found: [(DeploymentKey, String)] = []
        for namespace in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(namespace)")) ?? [] {
                for digest in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(namespace)/\(name)")) ?? [] {
                    found.append((DeploymentKey(namespace: namespace, name: name), digest))
                }
            }
        }
        return found
    }
}
