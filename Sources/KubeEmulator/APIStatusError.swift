import SerinCore

/// A failure answered as a `Status` object, with the exact reason, message and details shapes of
/// k8s.io/apimachinery/pkg/api/errors.
struct APIStatusError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: JSONValue?
    /// Sent as the `Retry-After` header (429).
    var retryAfterSeconds: Int?

    /// The Status body.
    var status: JSONValue {
        var body: [String: JSONValue] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .integer(Int64(code)),
        ]
        if let details { body["details"] = details }
        return .object(body)
    }

    static func details(_ type: ResourceType, name: String) -> JSONValue {
        var details: [String: JSONValue] = ["kind": .string(type.plural)]
        if !name.isEmpty { details["name"] = .string(name) }
        if !type.group.isEmpty { details["group"] = .string(type.group) }
        return .object(details)
    }

    static func notFound(_ type: ResourceType, name: String) -> APIStatusError {
        APIStatusError(code: 404, reason: "NotFound", message: "\(type.qualifiedResource) \"\(name)\" not found",
                       details: details(type, name: name))
    }

    static func namespaceNotFound(_ namespace: String) -> APIStatusError {
        APIStatusError(code: 404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                       details: ["name": .string(namespace), "kind": "namespaces"])
    }

    static func alreadyExists(_ type: ResourceType, name: String) -> APIStatusError {
        APIStatusError(code: 409, reason: "AlreadyExists",
                       message: "\(type.qualifiedResource) \"\(name)\" already exists", details: details(type, name: name))
    }

    static func conflict(_ type: ResourceType, name: String) -> APIStatusError {
        APIStatusError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(type.qualifiedResource) \"\(name)\": the object has been "
                + "modified; please apply your changes to the latest version and try again",
            details: details(type, name: name))
    }

    /// One invalid field: `field` is the dotted path, `detail` what is wrong with the value.
    struct Cause: Sendable {
        var reason: String = "FieldValueInvalid"
        var field: String
        var message: String
    }

    /// 422 Invalid. Built-in types name the Kind (`Deployment.apps "x" is invalid`), custom resources the resource.
    static func invalid(_ type: ResourceType, name: String, causes: [Cause]) -> APIStatusError {
        let subject = type.isCustom ? type.qualifiedResource : type.qualifiedKind
        let detailKind = type.isCustom ? type.plural : type.kind
        let rendered = causes.map { "\($0.field): \($0.message)" }
        let summary = rendered.count == 1 ? rendered[0] : "[" + rendered.joined(separator: ", ") + "]"
        var details: [String: JSONValue] = [
            "name": .string(name), "kind": .string(detailKind),
            "causes": .array(causes.map {
                ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)]
            }),
        ]
        if !type.group.isEmpty { details["group"] = .string(type.group) }
        return APIStatusError(code: 422, reason: "Invalid", message: "\(subject) \"\(name)\" is invalid: \(summary)",
                              details: .object(details))
    }

    /// 422 without a field, as a failed JSON patch is answered.
    static func unprocessable(_ message: String) -> APIStatusError {
        APIStatusError(code: 422, reason: "Invalid", message: message, details: [:])
    }

    static func badRequest(_ message: String) -> APIStatusError {
        APIStatusError(code: 400, reason: "BadRequest", message: message)
    }

    static func unsupportedMediaType(_ message: String, details: JSONValue? = nil) -> APIStatusError {
        APIStatusError(code: 415, reason: "UnsupportedMediaType", message: message, details: details)
    }

    static func methodNotAllowed(_ method: String) -> APIStatusError {
        APIStatusError(code: 405, reason: "MethodNotAllowed",
                       message: "the server does not allow this method on the requested resource", details: [:])
    }

    /// 403 as RBAC denies it (k8s.io/apiserver pkg/endpoints/handlers/responsewriters forbiddenMessage).
    static func forbidden(_ address: ResourceAddress, verb: String, user: String) -> APIStatusError {
        let type = address.type
        let resource = address.subresource == .main ? type.plural : "\(type.plural)/\(address.subresource.rawValue)"
        let scope = address.namespace.map { "in the namespace \(JSONString.quote($0))" } ?? "at the cluster scope"
        let reason = "User \(JSONString.quote(user)) cannot \(verb) resource \(JSONString.quote(resource)) in API group "
            + "\(JSONString.quote(type.group)) \(scope)"
        let subject = address.name.map { "\(type.qualifiedResource) \(JSONString.quote($0))" } ?? type.qualifiedResource
        return APIStatusError(code: 403, reason: "Forbidden", message: "\(subject) is forbidden: \(reason)",
                              details: details(type, name: address.name ?? ""))
    }

    static let unauthorized = APIStatusError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func expired(_ message: String) -> APIStatusError {
        APIStatusError(code: 410, reason: "Expired", message: message)
    }

    static func tooLargeResourceVersion(requested: Int64, current: Int64) -> APIStatusError {
        APIStatusError(
            code: 504, reason: "Timeout",
            message: "Timeout: Too large resource version: \(requested), current: \(current)",
            details: ["causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]],
                      "retryAfterSeconds": 1])
    }

    static func internalError(_ message: String) -> APIStatusError {
        APIStatusError(code: 500, reason: "InternalError", message: message, details: ["causes": [["message": .string(message)]]])
    }

    static func tooManyRequests(retryAfter: Int) -> APIStatusError {
        APIStatusError(code: 429, reason: "TooManyRequests",
                       message: "Too many requests, please try again later.",
                       details: ["retryAfterSeconds": .integer(Int64(retryAfter))], retryAfterSeconds: retryAfter)
    }
}
