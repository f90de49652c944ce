import Foundation
import SerinCore
import SerinHTTP

/// One event of a watch stream.
public struct WatchEvent: Sendable, Hashable {
    public enum EventType: String, Sendable, Hashable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    public var type: EventType
    /// The object (for ERROR, a Status object).
    public var object: JSONValue

    public init(type: EventType, object: JSONValue) {
        self.type = type
        self.object = object
    }

    /// The object's `metadata.resourceVersion`, which every event but ERROR carries.
    public var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }

    /// The error an ERROR event stands for (`gone` for a 410 Expired), or nil for other events.
    public var error: KubeError? {
        guard type == .error else { return nil }
        let status = KubeStatus(json: object) ?? KubeStatus(code: 500, message: object.serialized)
        return KubeError(httpStatus: status.code, status: status)
    }

    /// Decodes one line of a watch stream.
    public init(line: [UInt8]) throws(KubeError) {
        let json: JSONValue
        do { json = try JSONValue(parsing: line) } catch {
            throw .invalidResponse("watch event is not JSON: \(error.description)")
        }
        guard let typeName = json["type"]?.stringValue, let type = EventType(rawValue: typeName) else {
            throw .invalidResponse("watch event has no known type: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        guard let object = json["object"], object.objectValue != nil else {
            throw .invalidResponse("watch event \(typeName) has no object")
        }
        self.init(type: type, object: object)
    }
}

/// Splits a byte stream into newline-terminated lines, whatever the chunk boundaries. Blank lines are skipped.
/// A line longer than `maxLineBytes` is an error, so a broken stream cannot grow the buffer without limit.
public struct WatchLineSplitter: Sendable {
    public struct LineTooLong: Error, Sendable, Hashable {
        public var limit: Int
    }

    public let maxLineBytes: Int
    private var pending: [UInt8] = []

    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// The complete lines the chunk finishes, without their line endings (`\n` or `\r\n`).
    public mutating func feed<Bytes: Sequence>(_ chunk: Bytes) throws(LineTooLong) -> [[UInt8]] where Bytes.Element == UInt8 {
        var lines: [[UInt8]] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                if !pending.isEmpty { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
            } else {
                guard pending.count < maxLineBytes else { throw LineTooLong(limit: maxLineBytes) }
                pending.append(byte)
            }
        }
        return lines
    }

    /// The last line when the stream ended without a final newline.
    public mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return pending.isEmpty ? nil : pending
    }
}

/// The events of one watch, in order, ending when the server closes the stream (after `timeoutSeconds`) or with a
/// `KubeError` when the connection fails. Dropping the iterator, or cancelling the iterating task, aborts the
/// transfer. An ERROR event is delivered as an event: the caller decides (a 410 means relist).
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    public typealias Failure = KubeError

    let events: AsyncThrowingStream<WatchEvent, any Error>

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = WatchEvent
        public typealias Failure = KubeError
        var base: AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator

        public mutating func next() async throws(KubeError) -> WatchEvent? {
            try await next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(KubeError) -> WatchEvent? {
            do {
                return try await base.next(isolation: actor)
            } catch let error as KubeError {
                throw error
            } catch {
                throw .invalidResponse("\(error)")
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: events.makeAsyncIterator())
    }
}

/// Bridges a streaming libcurl transfer to a `WatchStream`: reports the HTTP status once headers arrive, then
/// splits the body into lines and decodes each into an event on the transfer's thread.
final class WatchStreamHandler: HTTPStreamHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var splitter = WatchLineSplitter()
    private var opened: CheckedContinuation<Result<Void, KubeError>, Never>?
    private let continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    private let cancel: TransferCancellation
    private var status = 0

    /// `continuation` must come from a stream with a bounded `.bufferingOldest` policy: when the consumer falls
    /// behind, `deliver` holds the transfer's thread (and so the TCP window) until there is room again.
    init(continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation, cancel: TransferCancellation) {
        self.continuation = continuation
        self.cancel = cancel
    }

    /// Backpressure: waits on the transfer's own thread (never the cooperative pool) while the buffer is full.
    private func deliver(_ event: WatchEvent) -> Bool {
        var pending = event
        while true {
            switch continuation.yield(pending) {
            case .enqueued: return true
            case .terminated: return false
            case .dropped(let dropped):
                if cancel.isCancelled { return false }
                pending = dropped
                usleep(1_000)
            @unknown default: return false
            }
        }
    }

    func awaitOpen(_ continuation: CheckedContinuation<Result<Void, KubeError>, Never>) {
        lock.withLock { opened = continuation }
    }

    private func resolveOpen(_ result: Result<Void, KubeError>) {
        let waiting: CheckedContinuation<Result<Void, KubeError>, Never>? = lock.withLock {
            defer { opened = nil }
            return opened
        }
        waiting?.resume(returning: result)
    }

    func headersReceived(status: Int, headers: [String: String]) {
        lock.withLock { self.status = status }
        // An error status is reported in `finished`, once its body (the Status object) has arrived.
        if (200..<300).contains(status) { resolveOpen(.success(())) }
    }

    func received(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.lock()
        let fed = Result { () throws(WatchLineSplitter.LineTooLong) -> [[UInt8]] in try splitter.feed(bytes) }
        lock.unlock()
        guard case .success(let lines) = fed else {
            continuation.finish(throwing: KubeError.invalidResponse("a watch event is longer than \(splitter.maxLineBytes) bytes"))
            return false
        }
        for line in lines {
            do throws(KubeError) {
                guard deliver(try WatchEvent(line: line)) else { return false }
            } catch {
                continuation.finish(throwing: error)
                return false
            }
        }
        return true
    }

    func finished(status: Int, headers: [String: String], error transportError: HTTPTransportError?, errorBody: [UInt8]) {
        if let transportError {
            let error = KubeError(transportError)
            resolveOpen(.failure(error))
            continuation.finish(throwing: error)
            return
        }
        guard (200..<300).contains(status) else {
            let failure = KubeError(httpStatus: status, body: errorBody, retryAfterHeader: headers["retry-after"])
            resolveOpen(.failure(failure))
            continuation.finish(throwing: failure)
            return
        }
        resolveOpen(.success(()))
        if let last = lock.withLock({ splitter.finish() }) {
            do throws(KubeError) {
                _ = deliver(try WatchEvent(line: last))
            } catch {
                continuation.finish(throwing: error)
                return
            }
        }
        continuation.finish()
    }
}
