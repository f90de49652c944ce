import CCurl
import Foundation

// Every call into libcurl lives in this file. Transfers block, so they never run on Swift's cooperative pool:
// ordinary requests run on a small process-wide pool of threads that each own one easy handle, reused (and reset)
// from one transfer to the next so connections to the API server are kept alive; each watch gets a thread and a
// handle of its own for as long as it streams. Callbacks reach Swift state through an unretained `Transfer` payload
// that the performing thread keeps alive for the whole transfer. libcurl's failures become `HTTPTransportError`s
// carrying libcurl's own message.

/// One HTTP exchange, fully resolved: no further I/O is needed to start it except reading PEM files by path,
/// which libcurl does itself.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines, `Name: value`. Never logged: they may carry credentials.
    public var headers: [String]
    public var body: [UInt8]?
    public var tls: TLSOptions
    public var clientCertificate: (certificate: PEMSource, key: PEMSource)?
    public var basicAuth: (username: String, password: String)?
    public var connectTimeout: Duration
    /// Nil for streams, which end when the server closes them.
    public var timeout: Duration?
    /// The largest body kept in memory; a larger one aborts the transfer. For streams, bounds only error bodies.
    public var maxBodyBytes: Int

    public init(method: String, url: String, headers: [String] = [], body: [UInt8]? = nil, tls: TLSOptions = TLSOptions(),
                clientCertificate: (certificate: PEMSource, key: PEMSource)? = nil,
                basicAuth: (username: String, password: String)? = nil, connectTimeout: Duration = .seconds(10),
                timeout: Duration?, maxBodyBytes: Int = 16 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.tls = tls
        self.clientCertificate = clientCertificate
        self.basicAuth = basicAuth
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased; the last value wins.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Receives a streaming response on the transfer's thread.
public protocol HTTPStreamHandler: AnyObject, Sendable {
    /// The final status line and headers arrived.
    func headersReceived(status: Int, headers: [String: String])
    /// A chunk of a 2xx body. Returning false stops the transfer.
    func received(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// The transfer ended: normally (`error` nil), or with a failure. A non-2xx body is passed whole (capped).
    func finished(status: Int, headers: [String: String], error: HTTPTransportError?, errorBody: [UInt8])
}

/// A cancellation request shared between a Swift task and the thread performing its transfer.
public final class TransferCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    public init() {}

    public var isCancelled: Bool { lock.withLock { value } }
    public func cancel() { lock.withLock { value = true } }
}

/// HTTP over libcurl for every adapter that speaks HTTP: the Kubernetes API, Prometheus, webhooks.
public enum HTTPTransport {
    /// `curl_global_init` exactly once per process, before any handle exists (it is not thread-safe itself).
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    /// Performs a request on the shared worker pool; cancelling the calling task aborts the transfer unless
    /// `cancellable` is false (cleanup that must happen during shutdown).
    public static func send(_ request: HTTPRequest, cancellable: Bool = true) async throws(HTTPTransportError) -> HTTPResponse {
        guard initialized else { throw .unreachable("libcurl failed to initialise") }
        if cancellable && Task.isCancelled { throw .cancelled }
        let cancel = TransferCancellation()
        let perform: () async -> Result<HTTPResponse, HTTPTransportError> = {
            await withCheckedContinuation { continuation in
                CurlWorkerPool.shared.submit { handle in
                    guard let handle else {
                        continuation.resume(returning: .failure(.unreachable("libcurl could not create a handle")))
                        return
                    }
                    continuation.resume(returning: HTTPTransport.perform(request, handle: handle, cancel: cancel, stream: nil))
                }
            }
        }
        let result: Result<HTTPResponse, HTTPTransportError>
        if cancellable {
            result = await withTaskCancellationHandler { await perform() } onCancel: { cancel.cancel() }
        } else {
            result = await perform()
        }
        return try result.get()
    }

    /// Starts a streaming transfer on a thread of its own. The handler sees headers, chunks and the end; setting
    /// `cancel` aborts it within about a second (libcurl calls the progress callback at least that often).
    public static func startStream(_ request: HTTPRequest, cancel: TransferCancellation, handler: HTTPStreamHandler) {
        guard initialized else {
            handler.finished(status: 0, headers: [:], error: .unreachable("libcurl failed to initialise"), errorBody: [])
            return
        }
        let thread = Thread {
            guard let handle = EasyHandle() else {
                handler.finished(status: 0, headers: [:], error: .unreachable("libcurl could not create a handle"), errorBody: [])
                return
            }
            _ = perform(request, handle: handle, cancel: cancel, stream: handler)
        }
        thread.name = "serin.http.stream"
        thread.start()
    }

    /// Runs one transfer synchronously on the current (dedicated) thread.
    private static func perform(_ request: HTTPRequest, handle: EasyHandle, cancel: TransferCancellation,
                                stream: HTTPStreamHandler?) -> Result<HTTPResponse, HTTPTransportError> {
        let transfer = Transfer(handle: handle.raw, cancel: cancel, maxBodyBytes: request.maxBodyBytes, stream: stream)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        var connectTo: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_slist_free_all(headerList)
            curl_slist_free_all(connectTo)
            errorBuffer.deallocate()
        }

        let code: CURLcode = withExtendedLifetime(transfer) {
            let h = handle.raw
            curl_easy_reset(h)
            var setupError: CURLcode = CURLE_OK
            func set(_ result: CURLcode) { if setupError == CURLE_OK && result != CURLE_OK { setupError = result } }

            var url = request.url
            if let serverName = request.tls.serverName, let components = URLComponents(string: request.url),
               let host = components.host {
                // Verify the certificate (and send SNI) for the configured name while connecting to the real host.
                let port = components.port ?? (components.scheme == "http" ? 80 : 443)
                let connectHost = host.contains(":") ? "[\(host)]" : host
                connectTo = curl_slist_append(connectTo, "\(serverName):\(port):\(connectHost):\(port)")
                var rewritten = components
                rewritten.host = serverName
                url = rewritten.string ?? request.url
                set(serin_curl_setopt_slist(h, CURLOPT_CONNECT_TO, connectTo))
            }
            set(serin_curl_setopt_string(h, CURLOPT_URL, url))
            set(serin_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer))
            set(serin_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1))
            set(serin_curl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
            set(serin_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1))
            set(serin_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout)))
            if let timeout = request.timeout {
                set(serin_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, milliseconds(timeout)))
            }
            set(serin_curl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, ""))

            set(serin_curl_setopt_data_callback(h, CURLOPT_WRITEFUNCTION, writeCallback))
            set(serin_curl_setopt_pointer(h, CURLOPT_WRITEDATA, transfer.payload))
            set(serin_curl_setopt_data_callback(h, CURLOPT_HEADERFUNCTION, headerCallback))
            set(serin_curl_setopt_pointer(h, CURLOPT_HEADERDATA, transfer.payload))
            set(serin_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0))
            set(serin_curl_setopt_xferinfo_callback(h, progressCallback))
            set(serin_curl_setopt_pointer(h, CURLOPT_XFERINFODATA, transfer.payload))

            if request.method == "GET" {
                set(serin_curl_setopt_long(h, CURLOPT_HTTPGET, 1))
            } else {
                if let body = request.body {
                    set(serin_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                    body.withUnsafeBytes { bytes in
                        set(serin_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(errorBuffer))))
                    }
                }
                set(serin_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method))
            }
            for line in request.headers + ["Expect:"] {
                headerList = curl_slist_append(headerList, line)
            }
            set(serin_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList))

            switch request.tls.certificateAuthority {
            case .file(let path)?: set(serin_curl_setopt_string(h, CURLOPT_CAINFO, path))
            case .data(let bytes)?: set(blob(h, CURLOPT_CAINFO_BLOB, bytes))
            case nil: break
            }
            if request.tls.insecureSkipVerify {
                set(serin_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0))
                set(serin_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0))
            }
            if let (certificate, key) = request.clientCertificate {
                set(serin_curl_setopt_string(h, CURLOPT_SSLCERTTYPE, "PEM"))
                set(serin_curl_setopt_string(h, CURLOPT_SSLKEYTYPE, "PEM"))
                switch certificate {
                case .file(let path): set(serin_curl_setopt_string(h, CURLOPT_SSLCERT, path))
                case .data(let bytes): set(blob(h, CURLOPT_SSLCERT_BLOB, bytes))
                }
                switch key {
                case .file(let path): set(serin_curl_setopt_string(h, CURLOPT_SSLKEY, path))
                case .data(let bytes): set(blob(h, CURLOPT_SSLKEY_BLOB, bytes))
                }
            }
            if let basic = request.basicAuth {
                set(serin_curl_setopt_long(h, CURLOPT_HTTPAUTH, 1 /* CURLAUTH_BASIC */))
                set(serin_curl_setopt_string(h, CURLOPT_USERNAME, basic.username))
                set(serin_curl_setopt_string(h, CURLOPT_PASSWORD, basic.password))
            }
            if setupError != CURLE_OK { return setupError }
            return curl_easy_perform(h)
        }

        var status = 0
        _ = serin_curl_getinfo_long(handle.raw, CURLINFO_RESPONSE_CODE, &status)
        let headers = transfer.headers
        let result: Result<HTTPResponse, HTTPTransportError>
        if code == CURLE_OK {
            result = .success(HTTPResponse(status: status, headers: headers, body: transfer.body))
        } else if transfer.overflowed {
            result = .failure(.bodyTooLarge(limit: request.maxBodyBytes))
        } else if cancel.isCancelled || transfer.stoppedByHandler && code != CURLE_OPERATION_TIMEDOUT {
            result = .failure(.cancelled)
        } else {
            let detail = String(cString: errorBuffer)
            let summary = String(cString: curl_easy_strerror(code))
            let message = detail.isEmpty ? summary : "\(summary): \(detail)"
            result = .failure(code == CURLE_OPERATION_TIMEDOUT ? .timedOut(message) : .unreachable(message))
        }
        if let stream {
            switch result {
            case .success(let response):
                let ok = (200..<300).contains(response.status)
                stream.finished(status: response.status, headers: headers, error: nil, errorBody: ok ? [] : response.body)
            case .failure(let error):
                stream.finished(status: status, headers: headers, error: error, errorBody: transfer.body)
            }
        }
        return result
    }

    private static func blob(_ handle: UnsafeMutableRawPointer, _ option: CURLoption, _ bytes: [UInt8]) -> CURLcode {
        bytes.withUnsafeBytes { serin_curl_setopt_blob(handle, option, $0.baseAddress, $0.count) }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// An easy handle, cleaned up by its owner.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
    }

    deinit { curl_easy_cleanup(raw) }
}

/// The state a transfer's callbacks share, used only from the performing thread (plus the thread-safe cancel flag).
private final class Transfer {
    let handle: UnsafeMutableRawPointer
    let cancel: TransferCancellation
    let maxBodyBytes: Int
    let stream: HTTPStreamHandler?
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var overflowed = false
    var stoppedByHandler = false
    /// True once the final headers said 2xx and a stream handler takes the body.
    var streaming = false

    init(handle: UnsafeMutableRawPointer, cancel: TransferCancellation, maxBodyBytes: Int, stream: HTTPStreamHandler?) {
        self.handle = handle
        self.cancel = cancel
        self.maxBodyBytes = maxBodyBytes
        self.stream = stream
    }

    var payload: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ payload: UnsafeMutableRawPointer?) -> Transfer? {
        payload.map { Unmanaged<Transfer>.fromOpaque($0).takeUnretainedValue() }
    }
}

private let writeCallback: serin_curl_data_callback = { buffer, size, count, payload in
    guard let transfer = Transfer.from(payload) else { return 0 }
    let length = size * count
    if transfer.cancel.isCancelled { return 0 }
    guard let buffer, length > 0 else { return length }
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    if transfer.streaming, let stream = transfer.stream {
        guard stream.received(bytes) else {
            transfer.stoppedByHandler = true
            return 0
        }
        return length
    }
    guard transfer.body.count + length <= transfer.maxBodyBytes else {
        transfer.overflowed = true
        return 0
    }
    transfer.body.append(contentsOf: bytes)
    return length
}

private let headerCallback: serin_curl_data_callback = { buffer, size, count, payload in
    guard let transfer = Transfer.from(payload) else { return 0 }
    let length = size * count
    guard let buffer else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new response (after a 100 Continue, say): forget the previous one's headers.
        transfer.headers = [:]
    } else if line.isEmpty {
        var status = 0
        _ = serin_curl_getinfo_long(transfer.handle, CURLINFO_RESPONSE_CODE, &status)
        if status >= 200, let stream = transfer.stream {
            transfer.streaming = (200..<300).contains(status)
            stream.headersReceived(status: status, headers: transfer.headers)
        }
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        transfer.headers[name] = value
    }
    return length
}

private let progressCallback: serin_curl_xferinfo_callback = { payload, _, _, _, _ in
    guard let transfer = Transfer.from(payload) else { return 1 }
    return transfer.cancel.isCancelled ? 1 : 0
}

/// Threads that each own an easy handle for their lifetime, so keep-alive connections are reused. Process-wide:
/// clients come and go, the threads stay. The pool grows when every thread is busy, up to `maximumThreads`, so one
/// slow request (an injected delay, a server that does not answer before the timeout) never holds up another, such
/// as a Lease renewal that must not miss its deadline.
final class CurlWorkerPool: @unchecked Sendable {
    static let shared = CurlWorkerPool(threads: 4, maximumThreads: 64)

    typealias Job = @Sendable (EasyHandle?) -> Void

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private let maximumThreads: Int

    init(threads: Int, maximumThreads: Int) {
        self.maximumThreads = max(threads, maximumThreads)
        condition.lock()
        for _ in 0..<threads { startThread() }
        condition.unlock()
    }

    /// Call with the condition locked.
    private func startThread() {
        let index = threads
        threads += 1
        let thread = Thread { [self] in work() }
        thread.name = "serin.http.\(index)"
        thread.start()
    }

    func submit(_ job: @escaping Job) {
        condition.lock()
        jobs.append(job)
        let waiting = jobs.count - head
        if waiting > idle && threads < maximumThreads { startThread() }
        condition.signal()
        condition.unlock()
    }

    private func work() {
        let handle = EasyHandle()
        while true {
            condition.lock()
            idle += 1
            while head == jobs.count { condition.wait() }
            idle -= 1
            let job = jobs[head]
            head += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job(handle)
        }
    }
}
