import NIOCore
import SerinCore
@testable import SerinRouter
import Testing

/// The router forwards bytes, not decoded messages: these check, on the wire, that it frames every message the way
/// the other side will, both ways.
@Suite("HTTP/1.1 on the wire", .timeLimit(.minutes(1)))
struct WireTests {
    /// A router in front of one scripted upstream as version v1 of model iris.
    private func withScripted(answer: String, closeAfterAnswer: Bool = false,
                              _ body: (ModelRouter, ScriptedUpstream) async throws -> Void) async throws
    {
        let upstream = try await ScriptedUpstream.start(answer: answer, closeAfterAnswer: closeAfterAnswer)
        let router = try await ModelRouter.start(RouterConfiguration(port: 0), logger: RouterFixture.quiet)
        do {
            try router.setRoutes([ModelRoute(key: RouterFixture.key, modelName: RouterFixture.model,
                                             stable: upstream.upstream(version: "v1"), canary: nil, canaryWeight: 0)])
            try await body(router, upstream)
        } catch {
            try? await router.stop()
            await upstream.stop()
            throw error
        }
        try await router.stop()
        await upstream.stop()
    }

    /// The text after the first empty line.
    private func body(of answer: Substring) -> Substring {
        answer.range(of: "\r\n\r\n").map { answer[$0.upperBound...] } ?? ""
    }

    @Test("pipelined requests are answered in the order they were sent, each by its own upstream answer")
    func pipelining() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answers = try await RawConnection.exchange(port: fixture.port,
                "GET /v2/models/iris/first HTTP/1.1\r\nHost: r\r\n\r\n"
                    + "POST /v2/models/iris/second HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n0\r\n\r\n"
                    + "GET /v2/models/iris/third HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")
            let order = ["first", "second", "third"].map { answers.range(of: "/v2/models/iris/\($0)")?.lowerBound }
            #expect(order.allSatisfy { $0 != nil }, "\(answers)")
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
            #expect(answers.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 4)
            #expect(answers.contains(#""bodyBytes":3"#))
            #expect(fixture["v1"].stats.acceptedConnections == 1)
        }
    }

    @Test("a chunked answer passes to an HTTP/1.1 client as it came")
    func chunkedAnswerPassesThrough() async throws {
        let chunked = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        try await withScripted(answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked) { router, _ in
            let answer = try await RawConnection.exchange(port: router.port,
                "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(answer.contains("Transfer-Encoding: chunked\r\n"))
            #expect(body(of: answer[...]) == chunked[...])
        }
    }

    @Test("an HTTP/1.0 client gets a chunked answer's content without the framing, and the connection closes after it")
    func chunkedAnswerToHTTP10() async throws {
        try await withScripted(answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        { router, _ in
            let answer = try await RawConnection.exchange(port: router.port,
                "GET /v2/models/iris HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.0 200 OK\r\n"), "\(answer)")
            #expect(!answer.lowercased().contains("transfer-encoding"))
            #expect(answer.contains("Connection: close\r\n"))
            #expect(body(of: answer[...]) == "hello world")
        }
    }

    @Test("an answer without a length ends with the upstream's connection, and the client's closes after it")
    func answerUntilClose() async throws {
        try await withScripted(answer: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstreamed", closeAfterAnswer: true)
        { router, upstream in
            let answer = try await RawConnection.exchange(port: router.port, "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(answer.contains("Connection: close\r\n"))
            #expect(body(of: answer[...]) == "streamed")
            #expect(router.traffic(for: RouterFixture.key)["v1"]?.responses == [200: 1])
        }
    }

    @Test("interim 1xx answers from the upstream are not passed on; the final answer is")
    func interimAnswersAreSkipped() async throws {
        try await withScripted(answer: "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
            + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        { router, _ in
            let answer = try await RawConnection.exchange(port: router.port,
                "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
            #expect(!answer.contains("103") && !answer.contains("Link:"))
            #expect(body(of: answer[...]) == "ok")
        }
    }

    @Test("bytes an upstream sends past its answer's end keep that connection out of the pool")
    func bytesPastTheEnd() async throws {
        try await withScripted(answer: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA") { router, upstream in
            for _ in 0..<2 {
                let answer = try await RawConnection.exchange(port: router.port,
                    "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")
                #expect(body(of: answer[...]) == "ok")
            }
            #expect(upstream.acceptedConnections == 2)
        }
    }

    @Test("an upstream answer that is not HTTP/1.1 gives the client 502 and counts as the version's error")
    func malformedAnswer() async throws {
        try await withScripted(answer: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok") { router, _ in
            let answer = try await RawConnection.exchange(port: router.port,
                "GET /v2/models/iris HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), "\(answer)")
            #expect(answer.contains("is not valid HTTP/1.1"))
            #expect(router.traffic(for: RouterFixture.key)["v1"]?.responses == [502: 1])
        }
    }

    @Test("a request framed two ways is refused with 400 before anything reaches the upstream")
    func smugglingIsRefused() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port,
                "POST /v2/models/iris/infer HTTP/1.1\r\nHost: r\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\nGET /v2/models/iris/smuggled HTTP/1.1\r\nHost: r\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")
            #expect(answer.contains("Content-Length and Transfer-Encoding"))
            #expect(!answer.contains("200 OK") && !answer.contains("smuggled"))
            #expect(fixture["v1"].stats.requests == 0)
        }
    }

    @Test("a malformed chunked request body ends the exchange with 400 and the connection closed")
    func malformedChunkedBody() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port,
                "POST /v2/models/iris/infer HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")
            #expect(answer.contains("chunked body is malformed"))
            #expect(try await fixture.versionsServing(1) == ["v1"])
        }
    }

    @Test("a head larger than 64 KiB is refused with 431")
    func headTooLarge() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port,
                "GET /v2/models/iris HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 70_000))\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "\(answer.prefix(200))")
            #expect(fixture["v1"].stats.requests == 0)
        }
    }

    @Test("HTTP/2 with prior knowledge is refused with 505, which says to use HTTP/1.1")
    func http2PriorKnowledge() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"), "\(answer)")
            #expect(answer.contains("use HTTP/1.1"))
        }
    }

    @Test("an empty line before a request line is ignored")
    func leadingEmptyLine() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let answer = try await RawConnection.exchange(port: fixture.port,
                "\r\nGET /v2/models/iris HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
        }
    }

    @Test("a request head that arrives a byte at a time is forwarded once complete")
    func headByteByByte() async throws {
        try await RouterFixture.with(versions: ["v1"]) { fixture in
            try fixture.route(stable: "v1")
            let request = "GET /v2/models/iris/slow HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n"
            let answer = try await RawConnection.exchange(port: fixture.port, pieces: request.map { String($0) })
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
            #expect(answer.contains("/v2/models/iris/slow"))
        }
    }
}
