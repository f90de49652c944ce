import ArgumentParser
import Foundation
import KubeEmulator
import Logging

/// `kube-emulator --port PORT --kubeconfig-out PATH [--token T] [--tls-cert-file C --tls-key-file K [--tls-ca-file CA]]`:
/// serves a Kubernetes API emulator on 127.0.0.1 until SIGINT or SIGTERM, with a kubeconfig for it written first,
/// for manual use and end-to-end scripts. With TLS it serves HTTPS (HTTP/2 or HTTP/1.1 by ALPN), which kubectl needs
/// before it sends a token; the CA goes into the kubeconfig so kubectl verifies the server.
@main
struct KubeEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-emulator",
        abstract: "Serve a Kubernetes API emulator on 127.0.0.1 until interrupted.")

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: Int = 0

    @Option(name: .customLong("kubeconfig-out"), help: "Where to write a kubeconfig that points at the emulator.")
    var kubeconfigOut: String

    @Option(help: "The only bearer token accepted (default: no authentication).")
    var token: String?

    @Option(help: "Seconds a simulated Deployment takes to become ready.")
    var deploymentReadySeconds: Double = 0.2

    @Option(name: .customLong("tls-cert-file"), help: "Serve HTTPS with this PEM certificate (chain); needs --tls-key-file.")
    var tlsCertFile: String?

    @Option(name: .customLong("tls-key-file"), help: "The PEM private key of --tls-cert-file.")
    var tlsKeyFile: String?

    @Option(name: .customLong("tls-ca-file"),
            help: "The PEM CA that signed --tls-cert-file, embedded in the kubeconfig as certificate-authority-data.")
    var tlsCAFile: String?

    @Option(name: .customLong("request-log"),
            help: "Append every answered request to this file as a JSON line (method, path, query, status, user agent), for tests that check which verbs and resources a client used.")
    var requestLog: String?

    func validate() throws {
        if (tlsCertFile == nil) != (tlsKeyFile == nil) {
            throw ValidationError("--tls-cert-file and --tls-key-file go together.")
        }
        if tlsCAFile != nil && tlsCertFile == nil {
            throw ValidationError("--tls-ca-file needs --tls-cert-file and --tls-key-file.")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        var options = KubeEmulatorOptions()
        options.port = port
        if let token { options.acceptedTokens = [token] }
        options.deploymentReadyAfter = .milliseconds(Int(deploymentReadySeconds * 1000))
        if let tlsCertFile, let tlsKeyFile {
            options.tls = KubeEmulatorTLS(certificateChainFile: tlsCertFile, privateKeyFile: tlsKeyFile,
                                          certificateAuthorityFile: tlsCAFile)
        }
        let emulator = try await KubeEmulator.start(options)
        try emulator.writeKubeconfig(to: kubeconfigOut, token: token)
        FileHandle.standardError.write(Data("kube-emulator serving \(emulator.baseURL); kubeconfig at \(kubeconfigOut)\n".utf8))
        if let requestLog {
            let log = try RequestLogFile(path: requestLog)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await log.follow(emulator) }
                await Self.waitForTerminationSignal()
                group.cancelAll()
            }
            await log.append(await emulator.requests())
        } else {
            await Self.waitForTerminationSignal()
        }
        try await emulator.stop()
    }

    /// Returns when SIGINT or SIGTERM arrives.
    static func waitForTerminationSignal() async {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let queue = DispatchQueue(label: "kube-emulator.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        for source in sources { source.cancel() }
    }
}

/// `--request-log`: the emulator's request log, appended to a file as JSON lines while it serves, so a test driving
/// other processes against it can see every request they made.
actor RequestLogFile {
    private struct Line: Encodable {
        var method: String
        var path: String
        var query: String
        var status: Int
        var userAgent: String?
        var contentType: String?
    }

    private let handle: FileHandle
    private var written = 0

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ValidationError("cannot create the request log \(path)")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Appends new records a few times a second until cancelled.
    func follow(_ emulator: KubeEmulator) async {
        while !Task.isCancelled {
            append(await emulator.requests())
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Appends the records of `all` not written yet (the emulator's log only grows).
    func append(_ all: [EmulatorRequestRecord]) {
        guard all.count > written else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = Data()
        for record in all[written...] {
            let line = Line(method: record.method, path: record.path, query: record.query, status: record.status,
                            userAgent: record.userAgent, contentType: record.contentType)
            guard let json = try? encoder.encode(line) else { continue }
            text.append(json)
            text.append(0x0A)
        }
        handle.write(text)
        written = all.count
    }
}
