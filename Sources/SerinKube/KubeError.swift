import SerinCore
import SerinHTTP

/// The API's `Status` object (kind Status, apiVersion v1), as the server sends it with failures.
public struct KubeStatus: Sendable, Hashable {
    public struct Cause: Sendable, Hashable {
        public var reason: String
        public var message: String
        public var field: String

        public init(reason: String = "", message: String = "", field: String = "") {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    /// The HTTP status code (the body's `code`, else the response's).
    public var code: Int
    /// A CamelCase reason (`NotFound`, `Conflict`, `Expired`…), empty when the server sent none.
    public var reason: String
    public var message: String
    public var name: String
    public var group: String
    /// The resource (plural) the failure concerns, from `details.kind`.
    public var kind: String
    public var causes: [Cause]
    /// `details.retryAfterSeconds`, or the Retry-After header when the body had none.
    public var retryAfterSeconds: Int?

    public init(code: Int, reason: String = "", message: String = "", name: String = "", group: String = "",
                kind: String = "", causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Reads a Status object; nil when the value is not one.
    public init?(json: JSONValue, httpStatus: Int? = nil) {
        guard json["kind"]?.stringValue == "Status" || (json["status"]?.stringValue != nil && json["code"] != nil) else {
            return nil
        }
        code = json["code"]?.integerValue.map { Int($0) } ?? httpStatus ?? 0
        reason = json["reason"]?.stringValue ?? ""
        message = json["message"]?.stringValue ?? ""
        let details = json["details"]
        name = details?["name"]?.stringValue ?? ""
        group = details?["group"]?.stringValue ?? ""
        kind = details?["kind"]?.stringValue ?? ""
        causes = (details?["causes"]?.arrayValue ?? []).map {
            Cause(reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "",
                  field: $0["field"]?.stringValue ?? "")
        }
        retryAfterSeconds = details?["retryAfterSeconds"]?.integerValue.map { Int($0) }
    }
}

/// A failed Kubernetes API call, typed so callers can react: retry a conflict, relist on `gone`, create on
/// `notFound`. Descriptions say what happened and what to do; they never contain credentials.
public enum KubeError: Error, Sendable, Hashable {
    case notFound(KubeStatus)
    case alreadyExists(KubeStatus)
    /// The object changed since it was read (stale resourceVersion or failed precondition): read it again and retry.
    case conflict(KubeStatus)
    /// HTTP 410, or reason Expired/Gone: the resourceVersion or continue token is too old; list again.
    case gone(KubeStatus)
    /// HTTP 422: the object was refused; `status.causes` name each field.
    case invalid(KubeStatus)
    case forbidden(KubeStatus)
    case unauthorized(KubeStatus)
    /// HTTP 429: wait `retryAfter` (from Retry-After or the Status details) before trying again.
    case tooManyRequests(KubeStatus, retryAfter: Duration?)
    case badRequest(KubeStatus)
    case unsupportedMediaType(KubeStatus)
    /// Any 5xx, and other unexpected statuses.
    case serverError(KubeStatus)
    /// The request never got an HTTP answer: libcurl's own message (connection refused, TLS failure, timeout).
    case transport(String)
    /// The answer could not be understood (not JSON, not the expected shape, or over the size limit).
    case invalidResponse(String)
    /// The calling task was cancelled.
    case cancelled

    /// The Status the server sent, when there was one.
    public var status: KubeStatus? {
        switch self {
        case .notFound(let s), .alreadyExists(let s), .conflict(let s), .gone(let s), .invalid(let s), .forbidden(let s),
             .unauthorized(let s), .tooManyRequests(let s, _), .badRequest(let s), .unsupportedMediaType(let s),
             .serverError(let s):
            return s
        case .transport, .invalidResponse, .cancelled:
            return nil
        }
    }

    /// Whether the same request may succeed later unchanged: throttling, server errors and transport failures.
    public var isRetryable: Bool {
        switch self {
        case .tooManyRequests, .serverError, .transport: true
        default: false
        }
    }

    /// Maps an HTTP status and its Status body to the error client-go would report.
    public init(httpStatus: Int, status decoded: KubeStatus?, retryAfterHeader: String? = nil) {
        var status = decoded ?? KubeStatus(code: httpStatus)
        if status.code == 0 { status.code = httpStatus }
        if status.retryAfterSeconds == nil, let header = retryAfterHeader.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            status.retryAfterSeconds = header
        }
        switch (status.reason, httpStatus) {
        case ("Expired", _), ("Gone", _), (_, 410): self = .gone(status)
        case ("NotFound", _), (_, 404): self = .notFound(status)
        case ("AlreadyExists", _): self = .alreadyExists(status)
        case ("Conflict", _), (_, 409): self = .conflict(status)
        case ("Invalid", _), (_, 422): self = .invalid(status)
        case ("Forbidden", _), (_, 403): self = .forbidden(status)
        case ("Unauthorized", _), (_, 401): self = .unauthorized(status)
        case ("TooManyRequests", _), (_, 429):
            self = .tooManyRequests(status, retryAfter: status.retryAfterSeconds.map { .seconds($0) })
        case ("UnsupportedMediaType", _), (_, 415): self = .unsupportedMediaType(status)
        case ("BadRequest", _), (_, 400): self = .badRequest(status)
        default:
            self = httpStatus >= 400 && httpStatus < 500 ? .badRequest(status) : .serverError(status)
        }
    }

    /// A request that got no HTTP answer.
    public init(_ error: HTTPTransportError) {
        switch error {
        case .unreachable(let message), .timedOut(let message): self = .transport(message)
        case .bodyTooLarge: self = .invalidResponse(error.description)
        case .cancelled: self = .cancelled
        }
    }

    /// Decodes an error response body: a Status object when it is one, else the body's text (up to 300 characters)
    /// as the message, as for the plain-text `404 page not found`.
    public init(httpStatus: Int, body: [UInt8], retryAfterHeader: String? = nil) {
        var status: KubeStatus?
        if let json = try? JSONValue(parsing: body) { status = KubeStatus(json: json, httpStatus: httpStatus) }
        if status == nil {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            status = KubeStatus(code: httpStatus, message: text.isEmpty ? "HTTP \(httpStatus)" : text)
        }
        self.init(httpStatus: httpStatus, status: status, retryAfterHeader: retryAfterHeader)
    }
}

extension KubeError: CustomStringConvertible {
    public var description: String {
        func said(_ status: KubeStatus) -> String {
            status.message.isEmpty ? "HTTP \(status.code)" : status.message
        }
        switch self {
        case .notFound(let s):
            return "\(said(s)) (404 NotFound): check the name, namespace and resource, or create it first"
        case .alreadyExists(let s):
            return "\(said(s)) (409 AlreadyExists): update the existing object or choose another name"
        case .conflict(let s):
            return "\(said(s)) (409 Conflict): read the object again and reapply the change to its latest resourceVersion"
        case .gone(let s):
            return "\(said(s)) (410 \(s.reason.isEmpty ? "Gone" : s.reason)): the resourceVersion or continue token expired; list again from scratch"
        case .invalid(let s):
            var text = "\(said(s)) (422 Invalid)"
            let causes = s.causes.map { cause in
                [cause.field, cause.message].filter { !$0.isEmpty }.joined(separator: ": ")
            }.filter { !$0.isEmpty }
            if !causes.isEmpty, !s.message.contains(causes[0]) { text += "; " + causes.joined(separator: "; ") }
            return text + ": fix the fields named and send the object again"
        case .forbidden(let s):
            return "\(said(s)) (403 Forbidden): grant the identity this permission with a Role or ClusterRole binding"
        case .unauthorized(let s):
            return "\(said(s)) (401 Unauthorized): the credentials were refused; check the token, certificate or kubeconfig user"
        case .tooManyRequests(let s, let after):
            let wait = after.map { " after \($0.components.seconds)s" } ?? " later"
            return "\(said(s)) (429 TooManyRequests): the API server is throttling; retry\(wait)"
        case .badRequest(let s):
            return "\(said(s)) (\(s.code) \(s.reason.isEmpty ? "BadRequest" : s.reason)): the request is malformed; check selectors and parameters"
        case .unsupportedMediaType(let s):
            return "\(said(s)) (415 UnsupportedMediaType): use another patch type (custom resources take merge or JSON patches only)"
        case .serverError(let s):
            return "\(said(s)) (\(s.code)\(s.reason.isEmpty ? "" : " " + s.reason)): the API server failed; retry with backoff"
        case .transport(let message):
            return "cannot reach the API server: \(message); check the server address, network and TLS settings"
        case .invalidResponse(let message):
            return "unexpected answer from the API server: \(message)"
        case .cancelled:
            return "the request was cancelled"
        }
    }
}
