import NIOCore
import NIOHTTP1
import SerinCore

/// An answer the router gives itself instead of an upstream's: errors as JSON `{"error": "…"}` (with structured
/// fields beside the message, for programs), and the metrics page.
struct LocalAnswer {
    var status: HTTPResponseStatus
    var contentType: String
    var body: String

    static func error(_ status: HTTPResponseStatus, _ message: String, details: [String: JSONValue] = [:]) -> LocalAnswer {
        var object = details
        object["error"] = .string(message)
        return LocalAnswer(status: status, contentType: "application/json", body: JSONValue.object(object).serialized + "\n")
    }

    static func unrecognisedPath(_ uri: String) -> LocalAnswer {
        .error(.notFound, "no route for \(uri.prefix(200)); model requests use \(RequestPath.supportedShapes)")
    }

    static func unknownModel(_ name: String, known: [String]) -> LocalAnswer {
        let knownText = known.isEmpty ? "no models are routed yet" : "known models: \(known.joined(separator: ", "))"
        return .error(.notFound, "no model named \"\(name)\" is routed here; \(knownText)",
                      details: ["model": .string(name), "knownModels": .array(known.map(JSONValue.string))])
    }

    static func versionNotRouted(_ entry: RouteEntry, version: String) -> LocalAnswer {
        let routed = [entry.stable?.version, entry.canary?.version].compactMap { $0 }
        return .error(
            .notFound,
            "version \"\(version)\" of model \"\(entry.route.modelName)\" is not routed (\(ForwardedHeaders.versionHeader)); "
                + "routed versions: \(entry.routedVersionsText)",
            details: ["model": .string(entry.route.modelName), "version": .string(version),
                      "routedVersions": .array(routed.map(JSONValue.string))])
    }

    static func noUpstream(_ entry: RouteEntry) -> LocalAnswer {
        .error(.serviceUnavailable,
               "model \"\(entry.route.modelName)\" (\(entry.route.key)) has no version ready to serve: no stable or "
                   + "canary upstream is routed; try again once a version is up",
               details: ["model": .string(entry.route.modelName)])
    }

    static func upstreamUnreachable(_ target: UpstreamTarget, modelName: String, reason: String) -> LocalAnswer {
        .error(.badGateway,
               "version \"\(target.version)\" of model \"\(modelName)\" at \(target.address) did not answer: \(reason)",
               details: ["model": .string(modelName), "version": .string(target.version)])
    }

    static func upstreamTimedOut(_ target: UpstreamTarget, modelName: String, timeout: Duration) -> LocalAnswer {
        .error(.gatewayTimeout,
               "version \"\(target.version)\" of model \"\(modelName)\" at \(target.address) sent nothing for \(timeout) "
                   + "after the request went out (the router's upstream timeout)",
               details: ["model": .string(modelName), "version": .string(target.version)])
    }

    /// The Open Inference Protocol's server liveness: the router answers, so it is live.
    static let serverLive = LocalAnswer(status: .ok, contentType: "application/json", body: #"{"live":true}"# + "\n")

    /// The Open Inference Protocol's server readiness, which means every model is ready: 200 when each routed model
    /// has a version ready to serve (or none is routed yet), else 503 naming the models that have none.
    static func serverReady(_ table: RoutingTable) -> LocalAnswer {
        let waiting = table.modelNames.filter { name in table.entries[name].map { $0.stable == nil && $0.canary == nil } ?? false }
        guard !waiting.isEmpty else {
            return LocalAnswer(status: .ok, contentType: "application/json", body: #"{"ready":true}"# + "\n")
        }
        return .error(.serviceUnavailable,
                      "not ready: no version of \(waiting.map { "\"\($0)\"" }.joined(separator: ", ")) is ready to serve",
                      details: ["ready": .bool(false), "modelsNotReady": .array(waiting.map(JSONValue.string))])
    }

    /// The Open Inference Protocol's server metadata: the router stands for the inference server its clients see.
    /// It offers none of the protocol's extensions (model repository, shared memory, …) itself.
    static func serverMetadata(version: String) -> LocalAnswer {
        let body: JSONValue = .object(["name": .string("serin"), "version": .string(version), "extensions": .array([])])
        return LocalAnswer(status: .ok, contentType: "application/json", body: body.serialized + "\n")
    }

    static func methodNotAllowed(_ path: String) -> LocalAnswer {
        .error(.methodNotAllowed, "\(path) answers GET only")
    }
}

extension LocalAnswer {
    /// The whole answer as bytes: status line, `Content-Type`, `Content-Length`, `Cache-Control: no-store`, the
    /// connection's management, and the body unless the request was HEAD.
    func serialized(version: HTTPVersion, isHEAD: Bool, keepAlive: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: body.utf8.count + contentType.utf8.count + 160)
        out.writeString("HTTP/1.\(version.minor == 0 ? 0 : 1) \(status.code) \(status.reasonPhrase)\r\n")
        out.writeString("Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nCache-Control: no-store\r\n")
        if let field = ForwardedHeaders.connectionField(clientVersion: version, keepAlive: keepAlive) {
            out.writeStaticString(field)
        }
        out.writeStaticString("\r\n")
        if !isHEAD { out.writeString(body) }
        return out
    }
}
