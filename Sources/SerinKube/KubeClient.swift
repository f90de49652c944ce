import Foundation
import Logging
import SerinCore
import SerinHTTP

/// What a list call returns: the items, the collection's resourceVersion (to watch from), and the continue token
/// when a page was asked for and more remain.
public struct ObjectList: Sendable, Hashable {
    public var items: [JSONValue]
    public var resourceVersion: String
    public var continueToken: String?

    public init(items: [JSONValue], resourceVersion: String, continueToken: String? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size; `list` follows continue tokens until the last page.
    public var limit: Int?
    /// "" or nil = most recent, "0" = any (may come from a cache).
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.resourceVersion = resourceVersion
    }
}

public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Events after this resourceVersion; nil starts with synthetic ADDED events for everything that exists.
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    /// The server closes the stream cleanly after this long.
    public var timeoutSeconds: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
                allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = 300) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A patch and the content type that says how the server applies it.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch: null deletes a key, arrays are replaced whole.
    case merge(JSONValue)
    /// RFC 6902 JSON patch: a list of operations (`{"op":"replace","path":"/spec/replicas","value":3}`).
    case json([JSONValue])
    /// Strategic merge patch: built-in types only (custom resources answer 415).
    case strategicMerge(JSONValue)

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        case .strategicMerge: "application/strategic-merge-patch+json"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let value), .strategicMerge(let value): value
        case .json(let operations): .array(operations)
        }
    }
}

public struct DeleteOptions: Sendable, Hashable {
    public enum PropagationPolicy: String, Sendable, Hashable {
        case foreground = "Foreground"
        case background = "Background"
        case orphan = "Orphan"
    }

    public var propagationPolicy: PropagationPolicy?
    /// Delete only if the object still has this uid (409 Conflict otherwise).
    public var preconditionUID: String?
    /// Delete only if the object is still at this resourceVersion (409 Conflict otherwise).
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int?

    public init(propagationPolicy: PropagationPolicy? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil, gracePeriodSeconds: Int? = nil) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.gracePeriodSeconds = gracePeriodSeconds
    }

    var body: JSONValue {
        var object: [String: JSONValue] = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let propagationPolicy { object["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if let gracePeriodSeconds { object["gracePeriodSeconds"] = .integer(Int64(gracePeriodSeconds)) }
        var preconditions: [String: JSONValue] = [:]
        if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
        if !preconditions.isEmpty { object["preconditions"] = .object(preconditions) }
        return .object(object)
    }
}

/// A Kubernetes API client for any resource type, on libcurl. Objects are `JSONValue`s; failures are `KubeError`s.
///
/// Safe to share between tasks: it holds only immutable configuration and the token file reader (an actor).
/// Namespaced calls that name no namespace use the object's `metadata.namespace`, else the configuration's.
public final class KubeClient: Sendable {
    public let configuration: KubeConfiguration
    /// Watch events decoded ahead of the consumer, at most.
    static let watchBuffer = 256
    private let tokenFile: BearerTokenFile?
    private let execSource: ExecCredentialSource?
    private let logger: Logger

    public init(configuration: KubeConfiguration, logger: Logger = Logger(label: "serin.kube")) {
        self.configuration = configuration
        self.logger = logger
        if case .bearerTokenFile(let path, let fallback) = configuration.credentials {
            tokenFile = BearerTokenFile(path: path, fallback: fallback)
        } else {
            tokenFile = nil
        }
        if case .exec(let plugin) = configuration.credentials {
            execSource = ExecCredentialSource(plugin: plugin, server: configuration.server, tls: configuration.tls)
        } else {
            execSource = nil
        }
    }

    // MARK: Verbs

    public func get(_ type: ResourceType, name: String, namespace: String? = nil) async throws(KubeError) -> JSONValue {
        try await json(send("GET", type.objectPath(namespace: resolve(type, namespace), name: name)))
    }

    /// A read that completes even when the calling task is cancelled (bounded by the request timeout): for cleanup
    /// that must see the current object first.
    func get(_ type: ResourceType, name: String, namespace: String?, ignoringCancellation: Bool) async throws(KubeError) -> JSONValue {
        try await json(send("GET", type.objectPath(namespace: resolve(type, namespace), name: name), cancellable: !ignoringCancellation))
    }

    /// Lists every matching object, following continue tokens page by page when `options.limit` is set. The
    /// returned resourceVersion is the first page's, which is what a watch must start from.
    /// `namespace` nil lists across all namespaces.
    public func list(_ type: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList {
        var page = try await listPage(type, namespace: namespace, options: options, continueToken: nil)
        var items = page.items
        let resourceVersion = page.resourceVersion
        while let token = page.continueToken {
            page = try await listPage(type, namespace: namespace, options: options, continueToken: token)
            items += page.items
        }
        return ObjectList(items: items, resourceVersion: resourceVersion)
    }

    /// One page of a list; pass the previous page's `continueToken` to get the next. An expired token is `gone`.
    public func listPage(_ type: ResourceType, namespace: String?, options: ListOptions, continueToken: String?) async throws(KubeError) -> ObjectList {
        var query: [(String, String)] = []
        if let value = options.labelSelector { query.append(("labelSelector", value)) }
        if let value = options.fieldSelector { query.append(("fieldSelector", value)) }
        if let limit = options.limit { query.append(("limit", String(limit))) }
        if let token = continueToken {
            query.append(("continue", token))
        } else if let value = options.resourceVersion {
            query.append(("resourceVersion", value))
        }
        let value = try await json(send("GET", type.collectionPath(namespace: namespace), query: query))
        guard let items = value["items"]?.arrayValue ?? (value["items"]?.isNull == true ? [] : nil) else {
            throw .invalidResponse("the list of \(type) has no items array")
        }
        let metadata = value["metadata"]
        let token = metadata?["continue"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        // Items in a list carry no kind/apiVersion on the wire; fill them in so objects look the same everywhere.
        let filled = items.map { fillTypeMeta($0, type) }
        return ObjectList(items: filled, resourceVersion: metadata?["resourceVersion"]?.stringValue ?? "", continueToken: token)
    }

    public func create(_ type: ResourceType, _ object: JSONValue, namespace: String? = nil) async throws(KubeError) -> JSONValue {
        let ns = resolve(type, namespace ?? object["metadata"]?["namespace"]?.stringValue)
        return try await json(send("POST", type.collectionPath(namespace: ns), body: fillTypeMeta(object, type)))
    }

    /// Replaces the object named by its `metadata.name`. The object's `metadata.resourceVersion` makes this a
    /// compare-and-swap: a stale one fails with `conflict`.
    public func update(_ type: ResourceType, _ object: JSONValue, namespace: String? = nil) async throws(KubeError) -> JSONValue {
        try await put(type, object, namespace: namespace, subresource: nil)
    }

    /// An update that completes even when the calling task is cancelled (bounded by the request timeout): for
    /// cleanup such as releasing a lease on shutdown.
    func update(_ type: ResourceType, _ object: JSONValue, namespace: String?, ignoringCancellation: Bool) async throws(KubeError) -> JSONValue {
        try await put(type, object, namespace: namespace, subresource: nil, cancellable: !ignoringCancellation)
    }

    /// Replaces the object's status through the status subresource (spec changes are ignored there).
    public func updateStatus(_ type: ResourceType, _ object: JSONValue, namespace: String? = nil) async throws(KubeError) -> JSONValue {
        try await put(type, object, namespace: namespace, subresource: "status")
    }

    public func patch(_ type: ResourceType, name: String, namespace: String? = nil, _ patch: Patch,
                      subresource: String? = nil) async throws(KubeError) -> JSONValue {
        let path = type.objectPath(namespace: resolve(type, namespace), name: name, subresource: subresource)
        return try await json(send("PATCH", path, body: patch.body, contentType: patch.contentType))
    }

    /// Deletes an object. Returns what the server answered: the object (still present with a deletionTimestamp when
    /// finalizers are pending) or a Success Status.
    @discardableResult
    public func delete(_ type: ResourceType, name: String, namespace: String? = nil,
                       options: DeleteOptions = DeleteOptions()) async throws(KubeError) -> JSONValue {
        try await json(send("DELETE", type.objectPath(namespace: resolve(type, namespace), name: name), body: options.body))
    }

    /// Opens a watch. Returns once the server has answered 200, so an immediate refusal (401, 403, 410…) is thrown
    /// here; later failures end the stream with an error. `namespace` nil watches across all namespaces.
    public func watch(_ type: ResourceType, namespace: String? = nil, options: WatchOptions = WatchOptions()) async throws(KubeError) -> WatchStream {
        var query: [(String, String)] = [("watch", "true")]
        if let value = options.labelSelector { query.append(("labelSelector", value)) }
        if let value = options.fieldSelector { query.append(("fieldSelector", value)) }
        if let value = options.resourceVersion { query.append(("resourceVersion", value)) }
        if options.allowWatchBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeout = options.timeoutSeconds { query.append(("timeoutSeconds", String(timeout))) }
        let path = type.collectionPath(namespace: namespace)
        do {
            return try await openWatch(path: path, query: query)
        } catch .unauthorized(let status) {
            guard await reloadCredentialsAfterRefusal() else { throw .unauthorized(status) }
            logger.info("watch refused with 401; retrying once with the re-read token", metadata: ["path": "\(path)"])
            return try await openWatch(path: path, query: query)
        }
    }

    // MARK: Plumbing

    private func put(_ type: ResourceType, _ object: JSONValue, namespace: String?, subresource: String?,
                     cancellable: Bool = true) async throws(KubeError) -> JSONValue {
        guard let name = object["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw .invalidResponse("cannot update a \(type) without metadata.name")
        }
        let ns = resolve(type, namespace ?? object["metadata"]?["namespace"]?.stringValue)
        return try await json(send("PUT", type.objectPath(namespace: ns, name: name, subresource: subresource), body: fillTypeMeta(object, type),
                                    cancellable: cancellable))
    }

    private func resolve(_ type: ResourceType, _ namespace: String?) -> String? {
        type.namespaced ? (namespace ?? configuration.namespace) : nil
    }

    private func fillTypeMeta(_ object: JSONValue, _ type: ResourceType) -> JSONValue {
        guard case .object(var members) = object else { return object }
        if members["apiVersion"] == nil { members["apiVersion"] = .string(type.apiVersion) }
        if members["kind"] == nil, let kind = type.kind { members["kind"] = .string(kind) }
        return .object(members)
    }

    private func json(_ response: HTTPResponse) throws(KubeError) -> JSONValue {
        do {
            return try JSONValue(parsing: response.body)
        } catch {
            throw .invalidResponse("the body is not JSON (\(error.description))")
        }
    }

    private func url(_ path: String, _ query: [(String, String)]) -> String {
        var url = configuration.server + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(PathEscaping.query($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// Builds the libcurl request, with the credentials current at this moment.
    private func request(_ method: String, _ path: String, query: [(String, String)], body: JSONValue?,
                         contentType: String, streaming: Bool) async throws(KubeError) -> HTTPRequest {
        var headers = ["Accept: application/json", "User-Agent: serin-kube"]
        var bodyBytes: [UInt8]?
        if let body {
            bodyBytes = Array(body.serialized.utf8)
            headers.append("Content-Type: \(contentType)")
        }
        var clientCertificate: (certificate: PEMSource, key: PEMSource)?
        var basicAuth: (username: String, password: String)?
        switch configuration.credentials {
        case .none: break
        case .bearerToken(let token): headers.append("Authorization: Bearer \(token)")
        case .bearerTokenFile:
            if let token = await tokenFile?.current() { headers.append("Authorization: Bearer \(token)") }
        case .clientCertificate(let certificate, let key): clientCertificate = (certificate, key)
        case .basic(let username, let password): basicAuth = (username, password)
        case .exec:
            let credential = try await execSource?.current()
            if let token = credential?.token {
                headers.append("Authorization: Bearer \(token)")
            } else if let certificate = credential?.clientCertificate, let key = credential?.clientKey {
                clientCertificate = (.data(certificate), .data(key))
            }
        }
        return HTTPRequest(method: method, url: url(path, query), headers: headers, body: bodyBytes, tls: configuration.tls,
                           clientCertificate: clientCertificate, basicAuth: basicAuth,
                           connectTimeout: configuration.connectTimeout,
                           timeout: streaming ? nil : configuration.requestTimeout,
                           maxBodyBytes: streaming ? 1 << 20 : configuration.maxResponseBytes)
    }

    /// After a 401: reads the token file again, or runs the exec plugin again; true when the credential changed, so
    /// the request is worth one retry.
    private func reloadCredentialsAfterRefusal() async -> Bool {
        if let tokenFile { return await tokenFile.reloadAfterRefusal() }
        if let execSource { return await execSource.reloadAfterRefusal() }
        return false
    }

    /// Sends a request and turns any non-2xx answer into a `KubeError`. A 401 when the credential comes from a file
    /// or a plugin reloads it and, if it changed, retries once.
    private func send(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
                      contentType: String = "application/json", cancellable: Bool = true) async throws(KubeError) -> HTTPResponse {
        var response = try await transport(try await request(method, path, query: query, body: body, contentType: contentType, streaming: false),
                                           cancellable: cancellable)
        if response.status == 401, await reloadCredentialsAfterRefusal() {
            logger.info("request refused with 401; retrying once with the renewed credential", metadata: ["path": "\(path)"])
            response = try await transport(try await request(method, path, query: query, body: body, contentType: contentType, streaming: false),
                                           cancellable: cancellable)
        }
        guard (200..<300).contains(response.status) else {
            let error = KubeError(httpStatus: response.status, body: response.body, retryAfterHeader: response.headers["retry-after"])
            logger.debug("API call failed", metadata: ["method": "\(method)", "path": "\(path)", "status": "\(response.status)"])
            throw error
        }
        return response
    }

    private func transport(_ request: HTTPRequest, cancellable: Bool) async throws(KubeError) -> HTTPResponse {
        do {
            return try await HTTPTransport.send(request, cancellable: cancellable)
        } catch {
            throw KubeError(error)
        }
    }

    private func openWatch(path: String, query: [(String, String)]) async throws(KubeError) -> WatchStream {
        let curlRequest = try await request("GET", path, query: query, body: nil, contentType: "application/json", streaming: true)
        if Task.isCancelled { throw .cancelled }
        let cancel = TransferCancellation()
        // Bounded: a slow consumer holds the transfer back instead of letting events pile up in memory.
        let (events, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream(bufferingPolicy: .bufferingOldest(Self.watchBuffer))
        continuation.onTermination = { _ in cancel.cancel() }
        let handler = WatchStreamHandler(continuation: continuation, cancel: cancel)
        let opened: Result<Void, KubeError> = await withTaskCancellationHandler {
            await withCheckedContinuation { waiting in
                handler.awaitOpen(waiting)
                HTTPTransport.startStream(curlRequest, cancel: cancel, handler: handler)
            }
        } onCancel: {
            cancel.cancel()
        }
        try opened.get()
        return WatchStream(events: events)
    }
}
