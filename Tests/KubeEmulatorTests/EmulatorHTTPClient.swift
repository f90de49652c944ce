import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SerinCore

/// A plain HTTP client for the semantics tests: one request, the status, the headers and the body as JSON (or the
/// raw text when it is not JSON). Watches are read whole, so they are asked with a short timeoutSeconds.
struct EmulatorHTTPClient {
    var baseURL: String
    var token: String?

    struct Answer {
        var status: Int
        var headers: [String: String]
        var text: String
        var json: JSONValue { (try? JSONValue(parsing: text)) ?? .null }
        /// A watch body: one event per line.
        var events: [JSONValue] { text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) } }
    }

    struct NoHTTPAnswer: Error {}

    func send(_ method: String, _ path: String, body: JSONValue? = nil, contentType: String = "application/json")
        async throws -> Answer
    {
        guard let url = URL(string: baseURL + path) else { throw NoHTTPAnswer() }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.serialized.utf8)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw NoHTTPAnswer() }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Answer(status: http.statusCode, headers: headers, text: String(decoding: data, as: UTF8.self))
    }

    func get(_ path: String) async throws -> Answer { try await send("GET", path) }
    func post(_ path: String, _ body: JSONValue) async throws -> Answer { try await send("POST", path, body: body) }
    func put(_ path: String, _ body: JSONValue) async throws -> Answer { try await send("PUT", path, body: body) }
    func delete(_ path: String) async throws -> Answer { try await send("DELETE", path) }
    func mergePatch(_ path: String, _ body: JSONValue) async throws -> Answer {
        try await send("PATCH", path, body: body, contentType: "application/merge-patch+json")
    }
}
