import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SerinCore
import SerinRouter
import Synchronization

// SerinRouter against three references, measured in the same run on the same upstreams and printed as ratios:
// - direct: the load generator calls an upstream itself, so the difference is what the router adds per request;
// - nginx: Debian's nginx as a reverse proxy to the same two upstreams with the same weights (90/10, smooth
//   weighted round-robin, keep-alive connections on both sides with no request limit, as the router keeps them),
//   one worker per core, run as the current user on loopback ports from a temporary directory, with room to keep a
//   request body of up to 1 MiB in memory (with its default of 16 KiB, a larger body goes to a temporary file
//   and its request waits about 40 ms, which measures nginx's settings rather than its work);
// - nio-pipe: the least any proxy on SwiftNIO can cost, each client connection paired with its own upstream
//   connection and bytes copied both ways untouched (stable version only, nothing parsed, routed or counted).
// Two loads: one request at a time, the targets taking turns request by request (latency without queueing:
// p50/p99 overhead; taking turns per request puts a noisy neighbour's burst on every target alike), and
// SERIN_BENCH_CONNECTIONS concurrent connections per target for SERIN_BENCH_SECONDS per round, in slices of
// SERIN_BENCH_SLICE (0.25 s) with the targets taking turns slice by slice (throughput). Each figure is the median
// of SERIN_BENCH_ROUNDS rounds (9, of 2 seconds per target: more short rounds judge the median more tightly than a
// few long ones), each round starting with the next target; the throughput verdict is the median of the rounds'
// router-to-nginx ratios, with a confidence interval.
// Targets: the router adds under 1 ms at p99, and holds at least nginx's throughput.

let rounds = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_ROUNDS"] ?? "") ?? 9
let seconds = Double(ProcessInfo.processInfo.environment["SERIN_BENCH_SECONDS"] ?? "") ?? 2
let concurrency = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_CONNECTIONS"] ?? "") ?? 32
// At least 50 ms: each slice opens its connections anew.
let slice = min(seconds, max(0.05, Double(ProcessInfo.processInfo.environment["SERIN_BENCH_SLICE"] ?? "") ?? 0.25))
let slicesPerRound = max(1, Int((seconds / slice).rounded()))
let proxyThreads = Int(ProcessInfo.processInfo.environment["SERIN_BENCH_PROXY_THREADS"] ?? "") ?? System.coreCount
/// The upstreams' answers carry this many bytes of padding beside their outputs (0: a small answer, about 130
/// bytes, as a tabular model gives; tens of kilobytes are an embedding's or a batch's).
let answerPadding = max(0, Int(ProcessInfo.processInfo.environment["SERIN_BENCH_ANSWER_BYTES"] ?? "") ?? 0)
/// The requests' input tensor has about this many bytes (0: four features, about 90 bytes, a tabular model's; an
/// image's tensor as JSON is hundreds of kilobytes).
let requestBytes = max(0, Int(ProcessInfo.processInfo.environment["SERIN_BENCH_REQUEST_BYTES"] ?? "") ?? 0)
/// More directives for nginx's `http` block, to try its other settings against the router's (`proxy_buffering off;`,
/// say).
let nginxDirectives = ProcessInfo.processInfo.environment["SERIN_BENCH_NGINX_DIRECTIVES"] ?? ""
let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

/// nginx's process, ended by `fail` too so that no server outlives the benchmark.
let nginxProcessIdentifier = Atomic<Int32>(0)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    let nginx = nginxProcessIdentifier.load(ordering: .relaxed)
    if nginx > 0 { kill(nginx, SIGTERM) }
    exit(2)
}

// MARK: Upstreams: minimal model servers answering a small JSON body with their version.

final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let body: ByteBuffer
    private var keepAlive = true

    init(version: String) {
        let padding = answerPadding > 0 ? #","padding":""# + String(repeating: "x", count: answerPadding) + #"""# : ""
        body = ByteBuffer(string: #"{"model_name":"iris","model_version":"\#(version)","outputs":[{"name":"predict","shape":[1],"datatype":"INT64","data":[1]}]\#(padding)}"#)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): keepAlive = head.isKeepAlive
        case .body: break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// A server bootstrap set up as the router's listener is (backlog, address reuse, no Nagle delay), so the upstreams
/// and the pipe differ from it only in what they do with a connection.
func loopbackServer(_ group: any EventLoopGroup) -> ServerBootstrap {
    ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 1024)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
}

func startUpstream(version: String, group: any EventLoopGroup) throws -> any Channel {
    try loopbackServer(group)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(UpstreamHandler(version: version))
            }
        }
        .bind(host: "127.0.0.1", port: 0).wait()
}

/// The request every load sends: a small Open Inference Protocol call, as a client of the model would make it.
func inferenceRequest(port: Int) -> (HTTPRequestHead, ByteBuffer) {
    let body: ByteBuffer
    if requestBytes > 0 {
        // "0.5," per value.
        let count = max(1, requestBytes / 4)
        let values = Array(repeating: "0.5", count: count).joined(separator: ",")
        body = ByteBuffer(string: #"{"inputs":[{"name":"input-0","shape":[1,\#(count)],"datatype":"FP32","data":[\#(values)]}]}"#)
    } else {
        body = ByteBuffer(string: #"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#)
    }
    var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v2/models/iris/infer")
    head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
    head.headers.add(name: "Content-Type", value: "application/json")
    head.headers.add(name: "Content-Length", value: String(body.readableBytes))
    return (head, body)
}

// MARK: Load generator: closed loop, each connection sends its next request when the previous answer ended.

struct LoadResult: Sendable {
    var latencies: [UInt64] = []
    var stableAnswers = 0
    var canaryAnswers = 0
    var failures = 0

    var versions: [String: Int] { ["v1": stableAnswers, "v2": canaryAnswers] }

    mutating func add(_ other: LoadResult) {
        latencies += other.latencies
        stableAnswers += other.stableAnswers
        canaryAnswers += other.canaryAnswers
        failures += other.failures
    }
}

final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    private let head: HTTPRequestHead
    private let body: ByteBuffer
    private let deadline: NIODeadline
    private let done: EventLoopPromise<LoadResult>
    private var result = LoadResult()
    private var sentAt: UInt64 = 0
    private var status: UInt = 0
    private var responseBody = ByteBuffer()
    private static let canaryMarker = Array(#""model_version":"v2""#.utf8)

    init(port: Int, deadline: NIODeadline, done: EventLoopPromise<LoadResult>) {
        (head, body) = inferenceRequest(port: port)
        self.deadline = deadline
        self.done = done
        result.latencies.reserveCapacity(200_000)
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        sentAt = DispatchTime.now().uptimeNanoseconds
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = response.status.code
            responseBody.clear()
        case .body(var buffer):
            responseBody.writeBuffer(&buffer)
        case .end:
            result.latencies.append(DispatchTime.now().uptimeNanoseconds - sentAt)
            if status == 200 {
                if Self.containsCanaryMarker(responseBody) { result.canaryAnswers += 1 } else { result.stableAnswers += 1 }
            } else {
                result.failures += 1
            }
            if NIODeadline.now() < deadline {
                send(context: context)
            } else {
                done.succeed(result)
                context.close(promise: nil)
            }
        }
    }

    /// A plain byte loop with memcmp. The generator has one thread and shares the machine's two cores with the
    /// upstreams and the target, so whatever it spends per request caps every target's throughput alike:
    /// `firstRange(of:)` on a `ByteBufferView` runs the standard library's generic searcher unspecialised (runtime
    /// metadata look-ups on every byte), which made the generator cost twice an upstream per request and set the
    /// ceiling that direct calls and nginx both hit, hiding the difference the benchmark exists to show.
    private static func containsCanaryMarker(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            canaryMarker.withUnsafeBytes { marker in
                guard let base = bytes.baseAddress, let needle = marker.baseAddress, bytes.count >= marker.count else {
                    return false
                }
                for offset in 0...(bytes.count - marker.count) where memcmp(base + offset, needle, marker.count) == 0 {
                    return true
                }
                return false
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        result.failures += 1
        done.succeed(result)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(result)
    }
}

struct Measurement {
    var throughput: Double
    var p50: Double
    var p99: Double
    var versions: [String: Int]
    var failures: Int
    var requests = 0
    /// CPU time per request in microseconds, by role, under the throughput load.
    var cpu = CPUTime()
}

// MARK: CPU time per request, by role: what sets throughput when everything shares two cores.

/// Nanoseconds of CPU time the load generator's, the upstreams' and the proxy's threads have run.
struct CPUTime {
    var generator: Double = 0
    var upstreams: Double = 0
    var proxy: Double = 0
    /// The part of `proxy` spent in user space: the proxy's own code, apart from the kernel's work on its sockets
    /// (which any proxy making the same system calls pays alike).
    var proxyUser: Double = 0

    static func += (lhs: inout CPUTime, rhs: CPUTime) {
        lhs = CPUTime(generator: lhs.generator + rhs.generator, upstreams: lhs.upstreams + rhs.upstreams,
                      proxy: lhs.proxy + rhs.proxy, proxyUser: lhs.proxyUser + rhs.proxyUser)
    }

    static func - (lhs: CPUTime, rhs: CPUTime) -> CPUTime {
        CPUTime(generator: lhs.generator - rhs.generator, upstreams: lhs.upstreams - rhs.upstreams, proxy: lhs.proxy - rhs.proxy,
                proxyUser: lhs.proxyUser - rhs.proxyUser)
    }

    func perRequest(_ requests: Int) -> CPUTime {
        let divisor = Double(max(requests, 1)) * 1000
        return CPUTime(generator: generator / divisor, upstreams: upstreams / divisor, proxy: proxy / divisor,
                       proxyUser: proxyUser / divisor)
    }
}

/// A small file of /proc, read with one read(2): Foundation's readers go by the file's size, which /proc gives as 0.
func readProcFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes = [UInt8](repeating: 0, count: 4096)
    let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    guard count > 0 else { return nil }
    return String(decoding: bytes[..<count], as: UTF8.self)
}

/// The first field of a schedstat file: nanoseconds on the CPU.
func runtime(schedstat path: String) -> Double {
    Double(readProcFile(path)?.split(separator: " ").first ?? "") ?? 0
}

/// Nanoseconds in user space by a stat file's `utime` field (clock ticks: 10 ms, about 0.1 µs per request over a block).
func userTime(stat path: String) -> Double {
    guard let stat = readProcFile(path), let nameEnd = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
    // Fields from the state on: utime is the 12th.
    guard fields.count > 11, let ticks = Double(fields[11]) else { return 0 }
    return ticks * 1e9 / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The CPU time of a group's threads, each read by the thread itself.
func runtime(of group: MultiThreadedEventLoopGroup) async throws -> Double {
    var total = 0.0
    for loop in group.makeIterator() {
        total += try await loop.submit { runtime(schedstat: "/proc/thread-self/schedstat") }.get()
    }
    return total
}

/// The user-space part of `runtime(of:)`.
func userTime(of group: MultiThreadedEventLoopGroup) async throws -> Double {
    var total = 0.0
    for loop in group.makeIterator() {
        total += try await loop.submit { userTime(stat: "/proc/thread-self/stat") }.get()
    }
    return total
}

/// The processes whose parent is `parent`: nginx's workers.
func children(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let stat = readProcFile("/proc/\(pid)/stat"), let nameEnd = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == parent
    }
}

/// What one block of the throughput load got back, and how long it ran.
struct LoadBlock {
    var results: [LoadResult]
    var elapsed: Double
}

func load(port: Int, connections: Int, duration: Double, group: any EventLoopGroup) async throws -> LoadBlock {
    let deadline = NIODeadline.now() + .nanoseconds(Int64(duration * 1e9))
    let start = DispatchTime.now().uptimeNanoseconds
    let results = try await withThrowingTaskGroup(of: LoadResult.self) { tasks in
        for _ in 0..<connections {
            tasks.addTask {
                // A connection the server closes early (a keep-alive request limit) is replaced.
                var total = LoadResult()
                while NIODeadline.now() < deadline {
                    let loop = group.next()
                    let done = loop.makePromise(of: LoadResult.self)
                    _ = try await ClientBootstrap(group: loop)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                                try channel.pipeline.syncOperations.addHandler(LoadHandler(port: port, deadline: deadline, done: done))
                            }
                        }
                        .connect(host: "127.0.0.1", port: port).get()
                    total.add(try await done.futureResult.get())
                }
                return total
            }
        }
        return try await tasks.reduce(into: [LoadResult]()) { $0.append($1) }
    }
    return LoadBlock(results: results, elapsed: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// One target's figures from its blocks of a round: requests over the time the blocks ran, latencies pooled.
func measurement(of blocks: [LoadBlock], port: Int) -> Measurement {
    let results = blocks.flatMap(\.results)
    let elapsed = blocks.reduce(0) { $0 + $1.elapsed }
    let latencies = results.flatMap(\.latencies).sorted()
    guard !latencies.isEmpty else { fail("no request completed against port \(port)") }
    func percentile(_ p: Double) -> Double {
        Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1e6
    }
    var versions: [String: Int] = [:]
    for result in results { versions.merge(result.versions, uniquingKeysWith: +) }
    return Measurement(throughput: Double(latencies.count) / elapsed, p50: percentile(0.5), p99: percentile(0.99),
                       versions: versions, failures: results.reduce(0) { $0 + $1.failures }, requests: latencies.count)
}

// MARK: Latency: one request at a time, the targets taking turns request by request.

/// One keep-alive connection of the latency load; tells the turn keeper when its answer ended.
final class TurnHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    private let head: HTTPRequestHead
    private let body: ByteBuffer
    private let keeper: NIOLoopBound<TurnKeeper>
    private let index: Int
    private var context: ChannelHandlerContext?
    private var status: UInt = 0

    init(port: Int, index: Int, keeper: NIOLoopBound<TurnKeeper>) {
        (head, body) = inferenceRequest(port: port)
        self.index = index
        self.keeper = keeper
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func send() {
        guard let context else { return keeper.value.failed(index) }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response): status = response.status.code
        case .body: break
        case .end: keeper.value.answered(index, ok: status == 200)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        keeper.value.failed(index)
    }
}

/// Sends one request at a time and gives the targets turns, request by request: a hiccup of the shared machine
/// (another tenant's compile, say) then lands on every target alike. Measured in blocks of seconds per target, as
/// throughput is, a p99 says more about what the neighbours did during that target's block than about the target.
final class TurnKeeper {
    private var handlers: [TurnHandler] = []
    private(set) var latencies: [[UInt64]]
    private(set) var failures: [Int]
    private var turn = 0
    private var sentAt: UInt64 = 0
    private var finished = false
    private let deadline: NIODeadline
    private let done: EventLoopPromise<Void>

    init(targets: Int, deadline: NIODeadline, done: EventLoopPromise<Void>) {
        latencies = Array(repeating: [], count: targets)
        for index in latencies.indices { latencies[index].reserveCapacity(100_000) }
        failures = Array(repeating: 0, count: targets)
        self.deadline = deadline
        self.done = done
    }

    func start(_ handlers: [TurnHandler]) {
        self.handlers = handlers
        sendNext()
    }

    func answered(_ index: Int, ok: Bool) {
        guard !finished, index == turn else { return }
        latencies[index].append(DispatchTime.now().uptimeNanoseconds - sentAt)
        if !ok { failures[index] += 1 }
        turn = (turn + 1) % handlers.count
        if NIODeadline.now() < deadline { sendNext() } else { finish() }
    }

    func failed(_ index: Int) {
        guard !finished else { return }
        failures[index] += 1
        finish()
    }

    private func sendNext() {
        sentAt = DispatchTime.now().uptimeNanoseconds
        handlers[turn].send()
    }

    private func finish() {
        finished = true
        done.succeed()
    }
}

/// p50 and p99 of each target in `ports`, loaded together by one connection each, taking turns.
func interleavedLatency(ports: [Int], duration: Double, group: any EventLoopGroup) async throws -> [Measurement] {
    let loop = group.next()
    let done = loop.makePromise(of: Void.self)
    let keeper = try await loop.submit {
        NIOLoopBound(TurnKeeper(targets: ports.count, deadline: .now() + .nanoseconds(Int64(duration * 1e9)), done: done),
                     eventLoop: loop)
    }.get()
    var channels: [any Channel] = []
    for (index, port) in ports.enumerated() {
        channels.append(try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(TurnHandler(port: port, index: index, keeper: keeper))
                }
            }
            .connect(host: "127.0.0.1", port: port).get())
    }
    let connected = channels
    try await loop.submit {
        let handlers = try connected.map { try $0.pipeline.syncOperations.handler(type: TurnHandler.self) }
        keeper.value.start(handlers)
    }.get()
    try await done.futureResult.get()
    let (latencies, failures) = try await loop.submit { (keeper.value.latencies, keeper.value.failures) }.get()
    for channel in channels { try? await channel.close() }
    return zip(latencies, failures).map { latencies, failures in
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { fail("no request completed in the latency load") }
        func percentile(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6 }
        return Measurement(throughput: Double(sorted.count) / duration, p50: percentile(0.5), p99: percentile(0.99),
                           versions: [:], failures: failures)
    }
}

// MARK: Reference: a byte pipe on NIO, each client connection paired with its own upstream connection and bytes
// copied both ways untouched (no parsing, no routing, no metrics). Not a usable proxy; the floor any proxy built on
// NIO's channels starts from, to tell NIO's cost per request from the router's own.

final class PipeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var peer: (any Channel)?
    private var pending: [ByteBuffer] = []
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func attach(_ peer: any Channel) {
        self.peer = peer
        for buffer in pending { peer.write(buffer, promise: nil) }
        if !pending.isEmpty { peer.flush() }
        pending = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let peer else { return pending.append(buffer) }
        peer.write(buffer, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) { peer?.flush() }

    func channelInactive(context: ChannelHandlerContext) { peer?.close(promise: nil) }
}

func startPipe(upstreamPort: Int, group: any EventLoopGroup) throws -> any Channel {
    try loopbackServer(group)
        .childChannelInitializer { client in
            let clientHandler = PipeHandler()
            return client.eventLoop.makeCompletedFuture {
                try client.pipeline.syncOperations.addHandler(clientHandler)
            }.flatMap {
                ClientBootstrap(group: client.eventLoop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { upstream in
                        upstream.eventLoop.makeCompletedFuture {
                            let upstreamHandler = PipeHandler()
                            upstreamHandler.peer = client
                            try upstream.pipeline.syncOperations.addHandler(upstreamHandler)
                        }
                    }
                    .connect(host: "127.0.0.1", port: upstreamPort)
                    .map { upstream in clientHandler.attach(upstream) }
            }
        }
        .bind(host: "127.0.0.1", port: 0).wait()
}

// MARK: nginx with the same upstreams and weights.

func startNginx(port: Int, upstreams: [Int], in directory: URL) throws -> Process {
    let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let nginx else { fail("nginx is not installed: run `make dependencies` (Debian's nginx package)") }
    for folder in ["logs", "temp"] {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
    }
    let temp = directory.appendingPathComponent("temp").path
    // As root, nginx's workers would switch to `nobody`; keep them as the current user like everything else here.
    let user = geteuid() == 0 ? "user root;\n" : ""
    let config = """
        \(user)worker_processes \(proxyThreads);
        daemon off;
        pid \(directory.path)/nginx.pid;
        error_log \(directory.path)/logs/error.log warn;
        events { worker_connections 4096; }
        http {
            access_log off;
            keepalive_requests 1000000000;
            client_body_buffer_size 1m;
            \(nginxDirectives)
            client_body_temp_path \(temp)/body;
            proxy_temp_path \(temp)/proxy;
            fastcgi_temp_path \(temp)/fastcgi;
            uwsgi_temp_path \(temp)/uwsgi;
            scgi_temp_path \(temp)/scgi;
            upstream iris {
                server 127.0.0.1:\(upstreams[0]) weight=90;
                server 127.0.0.1:\(upstreams[1]) weight=10;
                keepalive 64;
                keepalive_requests 1000000000;
            }
            server {
                listen 127.0.0.1:\(port) backlog=1024;
                location / {
                    proxy_pass http://iris;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                }
            }
        }

        """
    let configFile = directory.appendingPathComponent("nginx.conf")
    try config.write(to: configFile, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: nginx)
    process.arguments = ["-p", directory.path, "-c", configFile.path, "-e", "\(directory.path)/logs/error.log"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    nginxProcessIdentifier.store(process.processIdentifier, ordering: .relaxed)
    return process
}

func waitUntilAccepting(_ port: Int, group: any EventLoopGroup) async throws {
    for _ in 0..<200 {
        if let channel = try? await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get() {
            try? await channel.close()
            return
        }
        try await Task.sleep(for: .milliseconds(25))
    }
    fail("nothing accepts connections on 127.0.0.1:\(port)")
}

func freePort(group: any EventLoopGroup) throws -> Int {
    let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    guard let port = channel.localAddress?.port else { fail("no free port") }
    return port
}

// MARK: The run.

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// A distribution-free interval for the median of `values`: between two order statistics chosen so that the
/// median falls outside with probability under 5% (the binomial sign test), or the whole range when there are too
/// few values for that. Returns the bounds and how likely the interval holds the median.
func medianInterval(_ values: [Double]) -> (lower: Double, upper: Double, confidence: Double) {
    let sorted = values.sorted(), count = sorted.count
    guard count > 0 else { return (.nan, .nan, 0) }
    // P(X <= k) for X ~ Binomial(count, 1/2): the chance that k values or fewer fall below the median.
    func tail(_ k: Int) -> Double {
        var term = 1.0, sum = 0.0
        for i in 0...k {
            if i > 0 { term *= Double(count - i + 1) / Double(i) }
            sum += term
        }
        return sum / pow(2, Double(count))
    }
    var k = 1
    while k < count / 2, 2 * tail(k) <= 0.05 { k += 1 }
    return (sorted[k - 1], sorted[count - k], 1 - 2 * tail(k - 1))
}

func row(_ name: String, _ value: Double, _ unit: String, against reference: Double, _ referenceName: String,
         higherIsBetter: Bool) -> String
{
    let ratio = value / max(reference, 1e-12)
    let format = unit == "req/s" ? "%.0f" : "%.3f"
    return "\(name.padding(toLength: 30, withPad: " ", startingAt: 0)) router \(String(format: format, value)) \(unit)  "
        + "\(referenceName) \(String(format: format, reference)) \(unit)  ratio \(String(format: "%.2f", ratio)) "
        + (higherIsBetter ? "(higher is better)" : "(lower is better)")
}

let upstreamGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let routerGroup = MultiThreadedEventLoopGroup(numberOfThreads: proxyThreads)
let loadGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("serin-router-bench-\(getpid())")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

let stable = try startUpstream(version: "v1", group: upstreamGroup)
let canary = try startUpstream(version: "v2", group: upstreamGroup)
guard let stablePort = stable.localAddress?.port, let canaryPort = canary.localAddress?.port else { fail("no upstream port") }

let router = try await ModelRouter.start(RouterConfiguration(port: 0), eventLoopGroup: routerGroup, logger: quiet)
try router.setRoutes([
    ModelRoute(key: DeploymentKey(namespace: "bench", name: "iris"), modelName: "iris",
               stable: Upstream(version: "v1", port: stablePort), canary: Upstream(version: "v2", port: canaryPort),
               canaryWeight: 10),
])
let pipeGroup = MultiThreadedEventLoopGroup(numberOfThreads: proxyThreads)
let pipe = try startPipe(upstreamPort: stablePort, group: pipeGroup)
guard let pipePort = pipe.localAddress?.port else { fail("no pipe port") }
let nginxPort = try freePort(group: loadGroup)
let nginx = try startNginx(port: nginxPort, upstreams: [stablePort, canaryPort], in: scratch)
defer {
    if nginx.isRunning { nginx.terminate() }
    nginx.waitUntilExit()
    try? FileManager.default.removeItem(at: scratch)
}
try await waitUntilAccepting(nginxPort, group: loadGroup)
let nginxWorkers = children(of: nginx.processIdentifier)

/// CPU time so far of the generator, the upstreams and `target`'s proxy (none for direct calls).
func cpuTime(proxy target: String) async throws -> CPUTime {
    var time = CPUTime(generator: try await runtime(of: loadGroup), upstreams: try await runtime(of: upstreamGroup))
    switch target {
    case "router":
        time.proxy = try await runtime(of: routerGroup)
        time.proxyUser = try await userTime(of: routerGroup)
    case "nginx":
        time.proxy = nginxWorkers.map { runtime(schedstat: "/proc/\($0)/schedstat") }.reduce(0, +)
        time.proxyUser = nginxWorkers.map { userTime(stat: "/proc/\($0)/stat") }.reduce(0, +)
    case "nio-pipe":
        time.proxy = try await runtime(of: pipeGroup)
        time.proxyUser = try await userTime(of: pipeGroup)
    default: break
    }
    return time
}

// SERIN_BENCH_ONLY=router (say) loads one target alone, for profiling; the report then compares nothing.
// SERIN_BENCH_ONLY=router,nio-pipe loads those two, for the router's own cost over NIO's alone.
let only = ProcessInfo.processInfo.environment["SERIN_BENCH_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }
let targets: [(name: String, port: Int)] = [("direct", stablePort), ("router", router.port), ("nginx", nginxPort),
                                            ("nio-pipe", pipePort)]
    .filter { only?.contains($0.name) ?? true }
print("router benchmark: \(rounds) rounds of \(seconds) s per target and load; \(System.coreCount) cores; "
    + "upstreams 90/10 on 127.0.0.1:\(stablePort) and :\(canaryPort); nginx \(nginxPort), router \(router.port)"
    + (answerPadding > 0 ? "; answers padded with \(answerPadding) bytes" : "")
    + (requestBytes > 0 ? "; request bodies of about \(requestBytes) bytes" : "") + "\n")

for target in targets {
    _ = try await load(port: target.port, connections: 4, duration: 0.5, group: loadGroup)
}

var sequential: [String: [Measurement]] = [:]
var concurrent: [String: [Measurement]] = [:]
for round in 0..<rounds {
    // As long as the blocks of the throughput load together, so each target gets about as many latency samples.
    let latencies = try await interleavedLatency(ports: targets.map(\.port), duration: seconds * Double(targets.count),
                                                 group: loadGroup)
    for (target, measurement) in zip(targets, latencies) {
        sequential[target.name, default: []].append(measurement)
    }
    // The throughput load runs in slices of SERIN_BENCH_SLICE seconds, the targets taking turns slice by slice, so
    // that the other tenants' load, which shifts from second to second on this machine, weighs on every target
    // alike; each round starts with the next target, so every target takes every place in turn.
    let order = targets.indices.map { targets[($0 + round) % targets.count] }
    var blocks: [String: [LoadBlock]] = [:]
    var cpu: [String: CPUTime] = [:]
    for _ in 0..<slicesPerRound {
        for target in order {
            let start = try await cpuTime(proxy: target.name)
            let block = try await load(port: target.port, connections: concurrency, duration: slice, group: loadGroup)
            cpu[target.name, default: CPUTime()] += try await cpuTime(proxy: target.name) - start
            blocks[target.name, default: []].append(block)
        }
    }
    for target in order {
        var measurement = measurement(of: blocks[target.name] ?? [], port: target.port)
        measurement.cpu = (cpu[target.name] ?? CPUTime()).perRequest(measurement.requests)
        concurrent[target.name, default: []].append(measurement)
    }
}

func figure(_ measurements: [String: [Measurement]], _ name: String, _ key: KeyPath<Measurement, Double>) -> Double {
    let values = (measurements[name] ?? []).map { $0[keyPath: key] }
    return values.isEmpty ? .nan : median(values)
}

for name in targets.map(\.name) where name != "direct" {
    let runs = concurrent[name] ?? []
    let versions = runs.reduce(into: [String: Int]()) { $0.merge($1.versions, uniquingKeysWith: +) }
    let failures = runs.reduce(0) { $0 + $1.failures }
    let total = versions.values.reduce(0, +)
    // The pipe pairs each connection with the stable upstream alone: it has no canary share to show.
    let share = name == "nio-pipe" ? ""
        : ", canary share \(String(format: "%.2f", Double(versions["v2"] ?? 0) / Double(max(total, 1)) * 100))% (weight 10)"
    print("\(name): \(total) answers under load\(share), \(failures) failed")
}
// Throughput on two shared cores follows from these: every request costs the generator, an upstream and the proxy
// their CPU time, and the three share the cores. Less sensitive to other tenants than throughput itself.
print("")
print("CPU time per request under load (median of rounds): load generator, upstream, proxy (of which user space)")
for target in targets {
    func cpu(_ key: KeyPath<CPUTime, Double>) -> String {
        String(format: "%.1f", median((concurrent[target.name] ?? []).map { $0.cpu[keyPath: key] }))
    }
    print("  \(target.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(cpu(\.generator)) µs  \(cpu(\.upstreams)) µs  "
        + (target.name == "direct" ? "-" : "\(cpu(\.proxy)) µs (\(cpu(\.proxyUser)) µs)"))
}
print("")

let directP50 = figure(sequential, "direct", \.p50), routerP50 = figure(sequential, "router", \.p50)
let directP99 = figure(sequential, "direct", \.p99), routerP99 = figure(sequential, "router", \.p99)
let nginxP50 = figure(sequential, "nginx", \.p50), nginxP99 = figure(sequential, "nginx", \.p99)
print(row("p50 latency, 1 connection", routerP50, "ms", against: directP50, "direct", higherIsBetter: false))
print(row("p99 latency, 1 connection", routerP99, "ms", against: directP99, "direct", higherIsBetter: false))
print(row("p50 latency, 1 connection", routerP50, "ms", against: nginxP50, "nginx", higherIsBetter: false))
print(row("p99 latency, 1 connection", routerP99, "ms", against: nginxP99, "nginx", higherIsBetter: false))
let loadP99 = figure(concurrent, "router", \.p99), nginxLoadP99 = figure(concurrent, "nginx", \.p99)
let routerThroughput = figure(concurrent, "router", \.throughput), nginxThroughput = figure(concurrent, "nginx", \.throughput)
let directThroughput = figure(concurrent, "direct", \.throughput)
print(row("throughput, \(concurrency) connections", routerThroughput, "req/s", against: directThroughput, "direct", higherIsBetter: true))
print(row("throughput, \(concurrency) connections", routerThroughput, "req/s", against: nginxThroughput, "nginx", higherIsBetter: true))
print(row("p99 latency, \(concurrency) connections", loadP99, "ms", against: nginxLoadP99, "nginx", higherIsBetter: false))

let addedP99 = routerP99 - directP99
print("")
// The verdicts need their references: with SERIN_BENCH_ONLY leaving one out, they are not given.
if sequential["router"] != nil, sequential["direct"] != nil {
    print("router adds \(String(format: "%.3f", routerP50 - directP50)) ms at p50 and \(String(format: "%.3f", addedP99)) ms at p99 "
        + "(target: under 1 ms at p99): \(addedP99 < 1 ? "met" : "NOT MET")")
}
if sequential["nginx"] != nil, sequential["direct"] != nil {
    // The same figure for nginx, measured alongside: when both miss, the machine (other tenants on its two cores)
    // set the tail, not the router.
    print("nginx adds \(String(format: "%.3f", nginxP50 - directP50)) ms at p50 and "
        + "\(String(format: "%.3f", nginxP99 - directP99)) ms at p99, for reference")
}
if concurrent["router"] != nil, concurrent["nginx"] != nil {
    // Judged round by round: the router's block and nginx's in one round ran minutes apart at most, so the load of
    // the machine's other tenants, which drifts over a run, weighs on both alike; the median of those ratios is
    // steadier than the ratio of the two medians.
    let ratios = zip(concurrent["router"] ?? [], concurrent["nginx"] ?? []).map { $0.throughput / $1.throughput }.sorted()
    let ratio = median(ratios)
    // Single rounds scatter widely on a shared machine: the interval says how far the median itself can be trusted,
    // and a verdict inside it is the machine's noise as much as the router's.
    let interval = medianInterval(ratios)
    // An interval that holds the median with little confidence (too few rounds: one round's is 0%) tells nothing.
    let judgeable = interval.confidence >= 0.9
    // "At least nginx's throughput" asks that the router cost no throughput against nginx, so it is judged as a
    // non-inferiority claim: met when the interval holds 1 or lies above it, and lies above 1 - shortfallMargin, so
    // that no shortfall of that size is left open; an interval wholly below 1 is a shortfall however small. Two
    // proxies of equal throughput give an interval around 1 however many rounds run, so asking for all of it above
    // 1 would ask for a margin over nginx, which the target does not name. The margin is the narrowest a long run resolves here:
    // 41 rounds on this shared 2-core machine give an interval about 2% either side of the median.
    let shortfallMargin = 0.03
    let judged = !judgeable ? "not judged: too few rounds for an interval (set SERIN_BENCH_ROUNDS to 9 or more)"
        : interval.lower >= 1 ? "met, above nginx's beyond the noise"
        : interval.upper < 1 ? "NOT MET, below nginx's beyond the noise"
        : interval.lower >= 1 - shortfallMargin
            ? "met, nginx's within the noise (any shortfall is under \(Int(shortfallMargin * 100))%)"
        : "not judged: the interval is too wide to rule out a shortfall of \(Int(shortfallMargin * 100))% or more "
            + "(run more rounds with SERIN_BENCH_ROUNDS)"
    // Three decimals: a median just below 1 would otherwise print as 1.00x beside a verdict of NOT MET.
    print("router throughput is \(String(format: "%.3f", ratio))x nginx's, the median of \(ratios.count) rounds "
        + "(\(String(format: "%.2f", ratios.first ?? .nan))x to \(String(format: "%.2f", ratios.last ?? .nan))x; the median "
        + "lies in \(String(format: "%.3f", interval.lower))x-\(String(format: "%.3f", interval.upper))x with "
        + "\(String(format: "%.0f", interval.confidence * 100))% confidence; target: at least 1x): \(judged)")
}
// What NIO itself costs: a byte pipe that parses, routes and counts nothing. Its gap to nginx is NIO's; the
// router's gap to it is the router's own work per request.
if let pipeRuns = concurrent["nio-pipe"], let routerRuns = concurrent["router"] {
    let pipeCPU = median(pipeRuns.map(\.cpu.proxy)), routerCPU = median(routerRuns.map(\.cpu.proxy))
    let versusNginx = concurrent["nginx"] == nil ? ""
        : ", throughput \(String(format: "%.2f", figure(concurrent, "nio-pipe", \.throughput) / nginxThroughput))x nginx's"
    print("NIO byte pipe (no parsing, routing or metrics): \(String(format: "%.1f", pipeCPU)) µs CPU per request\(versusNginx); "
        + "the router's own work costs \(String(format: "%.1f", routerCPU - pipeCPU)) µs over it")
}

try await router.stop()
try await stable.close().get()
try await canary.close().get()
try await upstreamGroup.shutdownGracefully()
try await pipe.close().get()
try await routerGroup.shutdownGracefully()
try await pipeGroup.shutdownGracefully()
try await loadGroup.shutdownGracefully()
