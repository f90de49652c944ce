import SerinCore
import SerinKube
import Testing

private func error(_ status: Int, _ body: String, retryAfter: String? = nil) -> KubeError {
    KubeError(httpStatus: status, body: Array(body.utf8), retryAfterHeader: retryAfter)
}

@Suite("Status decoding into KubeError")
struct KubeErrorTests {
    @Test func notFoundStatusBecomesNotFound() {
        let decoded = error(404, #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"x\" not found","reason":"NotFound","details":{"name":"x","group":"apps","kind":"deployments"},"code":404}"#)
        guard case .notFound(let status) = decoded else { Issue.record("got \(decoded)"); return }
        #expect(status.name == "x")
        #expect(status.group == "apps")
        #expect(status.kind == "deployments")
        #expect(decoded.description.contains(#"deployments.apps "x" not found"#))
    }

    @Test func alreadyExistsAndConflictAreTellApartByReasonNotCode() {
        let exists = error(409, #"{"kind":"Status","status":"Failure","reason":"AlreadyExists","message":"pods \"p\" already exists","code":409}"#)
        let conflict = error(409, #"{"kind":"Status","status":"Failure","reason":"Conflict","message":"Operation cannot be fulfilled","code":409}"#)
        guard case .alreadyExists = exists, case .conflict = conflict else {
            Issue.record("got \(exists) and \(conflict)")
            return
        }
        #expect(conflict.description.contains("read the object again"))
    }

    @Test func expiredAndGoneReasonsAndHTTP410AreGone() {
        for body in [#"{"kind":"Status","reason":"Expired","message":"too old resource version: 5 (10)","code":410}"#,
                     #"{"kind":"Status","reason":"Gone","code":410}"#, "gone"] {
            guard case .gone = error(410, body) else { Issue.record("\(body) was not gone"); continue }
        }
        // An ERROR watch event carries the 410 in the body of a 200 stream.
        let event = WatchEvent(type: .error, object: ["kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version: 1 (7)"])
        guard case .gone(let status)? = event.error else { Issue.record("got \(String(describing: event.error))"); return }
        #expect(status.code == 410)
    }

    @Test func invalidCarriesEveryCause() {
        let decoded = error(422, #"{"kind":"Status","reason":"Invalid","message":"Deployment.apps \"x\" is invalid","details":{"causes":[{"reason":"FieldValueInvalid","message":"Invalid value: -1","field":"spec.replicas"},{"reason":"FieldValueRequired","message":"Required value","field":"spec.selector"}]},"code":422}"#)
        guard case .invalid(let status) = decoded else { Issue.record("got \(decoded)"); return }
        #expect(status.causes.map(\.field) == ["spec.replicas", "spec.selector"])
        #expect(status.causes.first?.reason == "FieldValueInvalid")
        #expect(decoded.description.contains("spec.replicas: Invalid value: -1"))
        #expect(decoded.description.contains("spec.selector: Required value"))
    }

    @Test func forbiddenUnauthorizedBadRequestAndMediaType() {
        guard case .forbidden = error(403, #"{"kind":"Status","reason":"Forbidden","code":403}"#),
              case .unauthorized = error(401, #"{"kind":"Status","reason":"Unauthorized","message":"Unauthorized","code":401}"#),
              case .badRequest = error(400, #"{"kind":"Status","reason":"BadRequest","message":"unable to parse requirement","code":400}"#),
              case .unsupportedMediaType = error(415, #"{"kind":"Status","reason":"UnsupportedMediaType","code":415}"#)
        else {
            Issue.record("a status was mapped to the wrong error")
            return
        }
    }

    @Test func tooManyRequestsHonoursRetryAfterFromHeaderOrDetails() {
        guard case .tooManyRequests(_, let fromHeader) = error(429, #"{"kind":"Status","reason":"TooManyRequests","code":429}"#, retryAfter: "3"),
              case .tooManyRequests(_, let fromDetails) = error(429, #"{"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":7},"code":429}"#, retryAfter: "3")
        else {
            Issue.record("429 was not tooManyRequests")
            return
        }
        #expect(fromHeader == .seconds(3))
        #expect(fromDetails == .seconds(7))
        #expect(error(429, "", retryAfter: "3").description.contains("retry after 3s"))
    }

    @Test func serverErrorsAndPlainTextBodies() {
        let decoded = error(500, #"{"kind":"Status","reason":"InternalError","message":"Internal error occurred: boom","code":500}"#)
        guard case .serverError(let status) = decoded else { Issue.record("got \(decoded)"); return }
        #expect(status.reason == "InternalError")
        #expect(decoded.isRetryable)
        let plain = error(404, "404 page not found\n")
        guard case .notFound(let plainStatus) = plain else { Issue.record("got \(plain)"); return }
        #expect(plainStatus.message == "404 page not found")
        guard case .serverError = error(503, "") else { Issue.record("503 was not a server error"); return }
    }

    @Test func transportErrorsSayWhatToCheck() {
        let transport = KubeError.transport("Couldn't connect to server")
        #expect(transport.description.contains("Couldn't connect to server"))
        #expect(transport.description.contains("check the server address"))
        #expect(transport.isRetryable)
    }
}

@Suite("Watch stream decoding")
struct WatchLineSplitterTests {
    @Test func eventSplitAcrossChunksIsReassembled() throws {
        var splitter = WatchLineSplitter()
        let line = #"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"5"}}}"#
        let bytes = Array((line + "\n").utf8)
        var lines: [[UInt8]] = []
        for chunk in stride(from: 0, to: bytes.count, by: 7).map({ Array(bytes[$0..<min($0 + 7, bytes.count)]) }) {
            lines += try splitter.feed(chunk)
        }
        #expect(lines.count == 1)
        let event = try WatchEvent(line: lines[0])
        #expect(event.type == .added)
        #expect(event.resourceVersion == "5")
        #expect(event.object["metadata"]?["name"] == "a")
    }

    @Test func severalEventsInOneChunkComeOutInOrder() throws {
        var splitter = WatchLineSplitter()
        let text = """
            {"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}
            {"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\r
            {"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"3"}}}
            {"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"4"}}}
            {"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}
            {"type":"ADDED","object":{"metadata":{"name":"b"
            """
        let lines = try splitter.feed(Array(text.utf8))
        let events = try lines.map { line throws(KubeError) in try WatchEvent(line: line) }
        #expect(events.map(\.type) == [.added, .modified, .bookmark, .deleted, .error])
        #expect(events.map(\.resourceVersion) == ["1", "2", "3", "4", nil])
        let rest = try splitter.feed(Array(#","resourceVersion":"6"}}}"#.utf8) + [10, 10])
        #expect(try rest.map { line throws(KubeError) in try WatchEvent(line: line).resourceVersion } == ["6"])
    }

    @Test func finalLineWithoutNewlineIsKeptUntilTheEnd() throws {
        var splitter = WatchLineSplitter()
        #expect(try splitter.feed(Array(#"{"type":"ADDED","object":{}}"#.utf8)).isEmpty)
        let last = splitter.finish()
        #expect(try WatchEvent(line: last ?? []).type == .added)
        let after = splitter.finish()
        #expect(after == nil)
    }

    @Test func overlongLineIsRefusedInsteadOfBuffered() {
        var splitter = WatchLineSplitter(maxLineBytes: 16)
        #expect(throws: WatchLineSplitter.LineTooLong.self) {
            _ = try splitter.feed(Array(repeating: UInt8(ascii: "x"), count: 17))
        }
    }

    @Test func garbageOrUnknownTypesAreInvalidResponses() {
        for line in ["not json", #"{"type":"EXPLODED","object":{}}"#, #"{"type":"ADDED"}"#] {
            #expect(throws: KubeError.self) { try WatchEvent(line: Array(line.utf8)) }
        }
    }
}
