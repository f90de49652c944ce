import Foundation
import SerinCore
import Testing

/// One request recorded against a real kube-apiserver and the answer it got (../shared/reference/kube-apiserver-1.36).
struct TranscriptCase: Sendable, CustomTestStringConvertible {
    struct Request: Sendable {
        var method: String
        var path: String
        var contentType: String?
        var body: JSONValue?
        var asUser: String?
    }

    struct Response: Sendable {
        var status: Int
        var contentType: String?
        /// A JSON body, or nil for plain text (kept in `text`) and for watches (kept in `stream`).
        var body: JSONValue?
        var text: String?
        /// Watch events, in order; the recorder's pseudo-entry for response headers is dropped.
        var stream: [JSONValue]?
    }

    var name: String
    var note: String
    var request: Request
    var response: Response

    var testDescription: String { name }

    /// Every case, in recorded order.
    static func all() throws -> [TranscriptCase] {
        let data = try Data(contentsOf: ReferenceData.directory.appendingPathComponent("transcripts.json"))
        let document = try JSONValue(parsing: Array(data))
        guard let cases = document["cases"]?.arrayValue else { throw ReferenceData.Malformed(what: "transcripts.json has no cases") }
        return try cases.map(TranscriptCase.init)
    }

    init(_ value: JSONValue) throws {
        guard let name = value["name"]?.stringValue, let request = value["request"], let response = value["response"],
              let method = request["method"]?.stringValue, let path = request["path"]?.stringValue,
              let status = response["status"]?.integerValue else {
            throw ReferenceData.Malformed(what: "a case without name, method, path or status: \(value.serialized.prefix(200))")
        }
        self.name = name
        note = value["note"]?.stringValue ?? ""
        self.request = Request(method: method, path: path, contentType: request["contentType"]?.stringValue,
                               body: request["body"].flatMap { value -> JSONValue? in value.isNull ? Optional<JSONValue>.none : value },
                               asUser: request["asUser"]?.stringValue)
        let body = response["body"]
        self.response = Response(
            status: Int(status), contentType: response["contentType"]?.stringValue,
            body: body.flatMap { value -> JSONValue? in value.stringValue == nil && !value.isNull ? value : Optional<JSONValue>.none },
            text: body?.stringValue,
            stream: response["stream"]?.arrayValue?.filter { $0["_responseHeaders"] == nil })
    }
}

/// Where the recorded data lives: `shared/reference` beside the repository, as on every machine and in CI.
enum ReferenceData {
    struct Malformed: Error, CustomStringConvertible {
        var what: String
        var description: String { "malformed reference data: \(what)" }
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/reference/kube-apiserver-1.36")
}
