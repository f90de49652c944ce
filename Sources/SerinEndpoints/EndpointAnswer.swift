import NIOHTTP1
import SerinCore

/// One answer of the endpoints server: a status, a content type and a whole body. Errors and webhook verdicts
/// are JSON objects with a `message` saying why, so a provider's delivery log shows it.
struct EndpointAnswer: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []

    static func json(_ status: HTTPResponseStatus, _ fields: [String: JSONValue]) -> EndpointAnswer {
        EndpointAnswer(status: status, contentType: "application/json",
                       body: Array((JSONValue.object(fields).serialized + "\n").utf8))
    }

    static func error(_ status: HTTPResponseStatus, _ message: String) -> EndpointAnswer {
        .json(status, ["error": .string(message)])
    }

    static func webhook(_ outcome: WebhookOutcome) -> EndpointAnswer {
        var fields: [String: JSONValue] = ["result": .string(outcome.result.rawValue), "message": .string(outcome.message)]
        if let ref = outcome.push?.ref { fields["ref"] = .string(ref) }
        return .json(HTTPResponseStatus(statusCode: outcome.status), fields)
    }

    static func notFound(_ uri: String) -> EndpointAnswer {
        .error(.notFound, "nothing is served at \(uri.prefix(200)); this server answers \(EndpointRoute.pathsText)")
    }

    static func methodNotAllowed(_ method: HTTPMethod, route: EndpointRoute, path: String) -> EndpointAnswer {
        let allowed = route.allowedMethods.map(\.rawValue).joined(separator: ", ")
        var answer = EndpointAnswer.error(.methodNotAllowed, "\(path.prefix(200)) answers \(allowed), not \(method.rawValue)")
        answer.extraHeaders = [("Allow", allowed)]
        return answer
    }

    static func tooLarge(limit: Int) -> EndpointAnswer {
        .json(.payloadTooLarge, ["result": .string(WebhookResult.tooLarge.rawValue),
                                 "message": .string("the body is larger than \(limit) bytes and was not read")])
    }
}
