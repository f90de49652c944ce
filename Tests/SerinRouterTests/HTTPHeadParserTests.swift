import NIOCore
@testable import SerinRouter
import Testing

/// The router reads heads itself, so how strictly it reads them decides whether a client can make it and the model
/// server disagree on where a request ends (request smuggling, RFC 9112 §11.2). These pin each rule.
@Suite("HTTP/1.1 heads")
struct HTTPHeadParserTests {
    private func request(_ text: String) throws(HTTPHeadError) -> RequestHead {
        try HTTPHeadParser.request(ByteBuffer(string: text))
    }

    private func refusal(_ text: String) -> HTTPHeadError? {
        do {
            _ = try request(text)
            return nil
        } catch {
            return error
        }
    }

    private func headLength(_ text: String, from: Int = 0) -> Int? {
        ByteBuffer(string: text).withUnsafeReadableBytes { HTTPHeadParser.headLength($0, searchFrom: from) }
    }

    @Test("a head ends at its first empty line; bytes after it are not part of it")
    func headEnd() {
        #expect(headLength("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody") == 27)
        #expect(headLength("GET / HTTP/1.1\r\nHost: a\r\n") == nil)
        #expect(headLength("GET / HTTP/1.1\r\nHost: a\r\n\r") == nil)
    }

    @Test("a head split anywhere is found once its last byte arrives, resuming the search where it stopped")
    func headEndAcrossReads() {
        let text = "POST /v2/models/iris/infer HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"
        for split in 1..<text.utf8.count {
            let start = String(text.utf8.prefix(split))!
            #expect(headLength(start) == nil, "found early at \(split)")
            #expect(headLength(text, from: max(0, split - 3)) == text.utf8.count, "missed at \(split)")
        }
    }

    @Test("a head ending in bare LFs is found, so that it is refused rather than waited for")
    func bareLineFeedsEndAHead() throws {
        let length = try #require(headLength("GET / HTTP/1.1\nHost: a\n\n"))
        #expect(length == 24)
        #expect(refusal("GET / HTTP/1.1\nHost: a\n\n")?.kind == .malformed)
    }

    @Test("method, target, version and fields are read; the target stays as sent")
    func requestLine() throws {
        let head = try request("POST /v2/models/iris/infer?x=a%20b HTTP/1.1\r\nHost: router\r\nX-Serin-Version: v2\r\n"
            + "Content-Length: 12\r\n\r\n")
        #expect(head.methodIs("POST"))
        #expect(!head.isHEAD)
        #expect(head.uri == "/v2/models/iris/infer?x=a%20b")
        #expect(head.version == .http1_1)
        #expect(head.pinnedVersion == "v2")
        #expect(head.framing == .length(12))
        #expect(head.keepAlive)
        #expect(head.fields.map(\.kind) == [.host, .serinVersion, .contentLength])
    }

    @Test("field names are matched without regard to case; values lose the whitespace around them")
    func fieldNamesIgnoreCase() throws {
        let head = try request("GET / HTTP/1.1\r\nhOsT: router\r\nCONNECTION:  close \t\r\nx-serin-VERSION:\tv1\r\n\r\n")
        #expect(head.fields.map(\.kind) == [.host, .connection, .serinVersion])
        #expect(head.pinnedVersion == "v1")
        #expect(!head.keepAlive)
    }

    @Test("HTTP/1.0 keeps the connection only when asked; HTTP/1.1 unless told to close")
    func keepAlive() throws {
        #expect(try request("GET / HTTP/1.0\r\n\r\n").keepAlive == false)
        #expect(try request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive == true)
        #expect(try request("GET / HTTP/1.1\r\n\r\n").keepAlive == true)
        #expect(try request("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n").keepAlive == false)
    }

    @Test("Connection naming other fields marks them hop-by-hop")
    func connectionListsFields() throws {
        #expect(try request("GET / HTTP/1.1\r\nConnection: keep-alive, X-Hop\r\n\r\n").semantics.listsOtherFields)
        #expect(try !request("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").semantics.listsOtherFields)
    }

    @Test("a request with no length and no chunking has no body")
    func noBody() throws {
        #expect(try request("POST / HTTP/1.1\r\n\r\n").framing == .none)
        #expect(try request("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").framing == .none)
    }

    @Test("chunked as the last transfer coding frames the body")
    func chunked() throws {
        #expect(try request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").framing == .chunked)
        #expect(try request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: CHUNKED\r\n\r\n").framing
            == .chunked)
    }

    @Test("Expect: 100-continue is recognised whatever its case")
    func expectContinue() throws {
        #expect(try request("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n").expectsContinue)
        #expect(try !request("POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n").expectsContinue)
    }

    @Test("requests that could be framed two ways are refused", arguments: [
        ("Content-Length and Transfer-Encoding together",
         "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("two Content-Length fields", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
        ("a Content-Length list", "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"),
        ("a signed Content-Length", "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"),
        ("an empty Content-Length", "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"),
        ("an enormous Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1000000000000000000000\r\n\r\n"),
        ("a coding after chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
        ("chunked twice", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("a coding other than chunked last", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
        ("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("whitespace before a colon", "POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\n"),
        ("a folded field line", "GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n"),
        ("a field without a colon", "GET / HTTP/1.1\r\nHost router\r\n\r\n"),
        ("a bare CR in a value", "GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n"),
        ("a NUL in a value", "GET / HTTP/1.1\r\nX-A: 1\u{0}2\r\n\r\n"),
        ("a bare LF ending a line", "GET / HTTP/1.1\r\nX-A: 1\nHost: a\r\n\r\n"),
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("two spaces in the request line", "GET  / HTTP/1.1\r\n\r\n"),
        ("a space in the target", "GET /a b HTTP/1.1\r\n\r\n"),
        ("a lowercase version", "GET / http/1.1\r\n\r\n"),
        ("text after the version", "GET / HTTP/1.1 x\r\n\r\n"),
        ("no method", " / HTTP/1.1\r\n\r\n"),
    ])
    func ambiguousRequests(_ what: String, _ text: String) {
        let error = refusal(text)
        #expect(error?.kind == .malformed, "\(what) was accepted")
        #expect(error.map { !$0.reason.isEmpty } ?? false)
    }

    @Test("a version other than HTTP/1.x is refused as unsupported")
    func otherVersions() {
        #expect(refusal("GET / HTTP/2.0\r\n\r\n")?.kind == .unsupportedVersion)
        #expect(refusal("GET / HTTP/1.2\r\n\r\n")?.kind == .unsupportedVersion)
    }

    // MARK: Answers

    private func response(_ text: String, toHEAD: Bool = false) throws(HTTPHeadError) -> ResponseHead {
        try HTTPHeadParser.response(ByteBuffer(string: text), toHEAD: toHEAD)
    }

    @Test("an answer's status and framing are read from its head")
    func answerFraming() throws {
        let answer = try response("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n")
        #expect(answer.status == 200)
        #expect(answer.framing == .length(7))
        #expect(answer.keepAlive)
        #expect(try response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").framing == .chunked)
    }

    @Test("an answer without length or chunking ends with its connection, which is then not kept")
    func answerUntilClose() throws {
        let answer = try response("HTTP/1.1 200 OK\r\n\r\n")
        #expect(answer.framing == .untilClose)
        #expect(!answer.keepAlive)
        #expect(try response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").framing == .untilClose)
    }

    @Test("answers to HEAD, 1xx, 204 and 304 have no body whatever their fields say")
    func answersWithoutBody() throws {
        #expect(try response("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", toHEAD: true).framing == .none)
        #expect(try response("HTTP/1.1 204 No Content\r\n\r\n").framing == .none)
        #expect(try response("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n").framing == .none)
        #expect(try response("HTTP/1.1 100 Continue\r\n\r\n").framing == .none)
    }

    @Test("a status line without a reason phrase is read; HTTP/1.0 answers close unless kept alive")
    func statusLineVariants() throws {
        #expect(try response("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").status == 200)
        #expect(try response("HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n").status == 503)
        #expect(try !response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive)
        #expect(try response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keepAlive)
    }

    @Test("answers that could be framed two ways, or are not HTTP, are refused", arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 20x OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 099 Odd\r\n\r\n",
    ])
    func malformedAnswers(_ text: String) {
        #expect(throws: HTTPHeadError.self) { try response(text) }
    }

    @Test("the same Content-Length given twice in an answer is accepted, as RFC 9110 §8.6 allows")
    func repeatedEqualLength() throws {
        #expect(try response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").framing == .length(5))
    }
}
