import Foundation
import SerinGates
import SerinHTTP
import TestSupport
import Testing

/// The Prometheus client against loopback servers answering what proxies and misconfigured URLs answer.
@Suite("Prometheus client: answers that are not results")
struct PrometheusClientTests {
    private func client(_ server: LoopbackHTTPServer, authentication: PrometheusAuthentication? = nil, path: String = "") -> PrometheusClient {
        PrometheusClient(configuration: PrometheusConfiguration(url: server.url + path, authentication: authentication, timeout: .seconds(5)),
                         logger: testLogger)
    }

    private func json(_ text: String, status: Int = 200) -> LoopbackHTTPServer.Reply {
        .respond(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    @Test func queriesArePostedAsAFormWithTheEvaluationTime() async throws {
        let server = try LoopbackHTTPServer { _ in
            self.json(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000000,"NaN"]}]}}"#)
        }
        defer { server.stop() }
        let result = try await client(server, authentication: .bearer(token: "t0ken"), path: "/prometheus/").query(#"sum(x{a="b c"})"#, at: 1_700_000_000.25)
        guard case .vector(let samples) = result, let sample = samples.first else {
            Issue.record("not a one-sample vector: \(result)")
            return
        }
        #expect(sample.labels == ["job": "a"])
        #expect(sample.value.isNaN)
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/prometheus/api/v1/query")
        #expect(request.headers["authorization"] == "Bearer t0ken")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(String(decoding: request.body, as: UTF8.self) == "query=sum%28x%7Ba%3D%22b%20c%22%7D%29&timeout=5000ms&time=1700000000.250")
    }

    @Test func basicCredentialsAreSent() async throws {
        let server = try LoopbackHTTPServer { _ in self.json(#"{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}"#) }
        defer { server.stop() }
        let result = try await client(server, authentication: .basic(username: "serin", password: "pw")).query("1/0", at: nil)
        #expect(result == .scalar(.infinity))
        #expect(server.requests.first?.headers["authorization"] == "Basic " + Data("serin:pw".utf8).base64EncodedString())
    }

    @Test func anExecutionErrorIsABadQuery() async throws {
        let server = try LoopbackHTTPServer { _ in
            self.json(#"{"status":"error","errorType":"execution","error":"found duplicate series for the match group"}"#, status: 422)
        }
        defer { server.stop() }
        await #expect(throws: PrometheusError.badQuery(errorType: "execution", message: "found duplicate series for the match group")) {
            _ = try await client(server).query("a * b", at: nil)
        }
    }

    @Test func refusedCredentialsSaySoAndAProxysHTMLIsUnexpected() async throws {
        let server = try LoopbackHTTPServer { request in
            request.headers["authorization"] == nil
                ? .respond(status: 401, body: Array("Unauthorized\n".utf8))
                : .respond(status: 200, contentType: "text/html", body: Array("<html><body>Sign in</body></html>".utf8))
        }
        defer { server.stop() }
        do {
            _ = try await client(server).query("up", at: nil)
            Issue.record("a 401 was taken for a result")
        } catch {
            #expect(error == .serverError(status: 401, message: "Unauthorized"))
            #expect("\(error)" == "Prometheus refused the request (HTTP 401): Unauthorized; check the credentials Serin uses for it")
        }
        do {
            _ = try await client(server, authentication: .bearer(token: "x")).query("up", at: nil)
            Issue.record("HTML was taken for a result")
        } catch {
            #expect(error == .unexpectedResponse("HTTP 200 without the API's JSON envelope: <html><body>Sign in</body></html>"))
        }
    }

    @Test func aRangeVectorIsNotANumber() async throws {
        let server = try LoopbackHTTPServer { _ in self.json(#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#) }
        defer { server.stop() }
        await #expect(throws: PrometheusError.unexpectedResponse("the query returned a range vector (matrix), expected a single number: use an instant expression such as sum(rate(x[5m])) rather than x[5m]")) {
            _ = try await client(server).query("x[5m]", at: nil)
        }
    }

    @Test func credentialsInTheURLAreNotShown() {
        let client = PrometheusClient(configuration: PrometheusConfiguration(url: "https://user:pw@metrics.example/prom?token=t"), logger: testLogger)
        #expect(client.displayAddress == "https://metrics.example/prom")
    }
}
