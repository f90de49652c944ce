import SerinCore

/// One HTTP request as `ModelService` sees it: no sockets, so the whole protocol can be tested in-process.
public struct ServiceRequest: Sendable, Hashable {
    public var method: String
    /// The request target as sent: path and optional query.
    public var uri: String
    public var body: [UInt8]

    public init(method: String, uri: String, body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.body = body
    }

    /// The path without the query.
    public var path: String {
        String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}

/// One complete HTTP answer.
public struct ServiceResponse: Sendable, Hashable {
    public var status: Int
    public var contentType: String
    public var body: String
    /// Headers beyond Content-Type and Content-Length (e.g. Allow on a 405).
    public var headers: [String: String]

    public init(status: Int, contentType: String, body: String, headers: [String: String] = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A JSON answer, newline-terminated for people using curl.
    public static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> ServiceResponse {
        ServiceResponse(status: status, contentType: "application/json", body: value.serialized + "\n", headers: headers)
    }

    /// The protocol's error object, `{"error": "..."}`.
    public static func error(_ status: Int, _ message: String, headers: [String: String] = [:]) -> ServiceResponse {
        json(status, .object(["error": .string(message)]), headers: headers)
    }

    /// The body parsed back, for tests and logs; nil when it is not JSON.
    public var json: JSONValue? { try? JSONValue(parsing: body) }
}

/// What the HTTP layer does with a request.
public enum ServiceReply: Sendable, Hashable {
    /// Write the response; with `thenExit`, close the connection and stop the process with status 1 afterwards
    /// (`--fail-after` reached).
    case respond(ServiceResponse, thenExit: Bool)
    /// Close the connection without an answer: the server has "crashed" (`--fail-after`) and is about to exit.
    case dropConnection

    public var response: ServiceResponse? {
        if case .respond(let response, _) = self { return response }
        return nil
    }
}
