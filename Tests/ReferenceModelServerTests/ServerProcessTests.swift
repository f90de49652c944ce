import Foundation
import SerinCore
import Testing

/// The built `serin-model-server` binary as a child process, spoken to over loopback HTTP as any client would.
@Suite("serin-model-server process")
struct ServerProcessTests {
    static let modelJSON = #"{"type": "linear", "weights": [0.5, -2, 0.25, 4], "bias": 1}"#
    static let batchOfThree = """
        {"id": "req-7", "inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP32",
          "data": [[2, 1, 4, 0.5], [0, 0, 0, 0], [-1, 0.5, 8, 0.125]]}]}
        """
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A server for the test model, named iris, version 2, with `flags` added.
    func start(_ flags: [String] = []) throws -> ModelServerProcess {
        let scratch = try Scratch()
        let model = try scratch.write("iris.json", Self.modelJSON)
        return try ModelServerProcess.start(["--model", model, "--name", "iris", "--version", "2"] + flags, in: scratch)
    }

    @Test func itServesHealthMetadataAndInferenceAndLogsOnlyItsStartLine() throws {
        let server = try start()
        defer { server.stop() }
        let http = server.http

        let live = try http.get("/v2/health/live")
        #expect(live.status == 200)
        #expect(try live.json() == ["live": true])
        #expect(try http.get("/v2/health/ready").status == 200)
        #expect(try http.get("/v2/models/iris/ready").status == 200)

        let metadata = try http.get("/v2/models/iris")
        #expect(metadata.status == 200)
        #expect(try metadata.json()["inputs"] == [["name": "input-0", "datatype": "FP64", "shape": [-1, 4]]])
        #expect(try metadata.json()["versions"] == ["2"])

        for path in ["/v2/models/iris/infer", "/v2/models/iris/versions/2/infer"] {
            let infer = try http.post(path, Self.batchOfThree)
            #expect(infer.status == 200)
            #expect(infer.headers["content-type"] == "application/json")
            #expect(try infer.json() == [
                "model_name": "iris", "model_version": "2", "id": "req-7",
                "outputs": [["name": "predict", "shape": [3], "datatype": "FP64", "data": [3, 1, 2]]],
            ])
        }

        let badShape = try http.post("/v2/models/iris/infer",
                                     #"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}"#)
        #expect(badShape.status == 400)
        #expect(try badShape.json() == ["error": #"input "x" has shape [1, 2]: this model takes shape [batch, 4]"#])
        #expect(try http.post("/v2/models/fraud/infer", Self.batchOfThree).status == 400)
        #expect(try http.post("/v2/models/iris/infer", "{").status == 400)
        #expect(try http.get("/nowhere").status == 404)

        let lines = server.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("serving model iris version 2 (linear, 4 features) from ") == true)
        #expect(lines.first?.contains("on http://127.0.0.1:\(server.port) (faults: none)") == true)
        #expect(server.standardOutput.isEmpty)
    }

    @Test func theQuickstartModelIsServedFromAFileURIUnderItsFileName() throws {
        let scratch = try Scratch()
        let uri = "file://" + Self.repositoryRoot.appendingPathComponent("examples/quickstart/models/iris-linear.json").path
        let server = try ModelServerProcess.start(["--model", uri], in: scratch)
        defer { server.stop() }
        let metadata = try server.http.get("/v2/models/iris-linear")
        #expect(metadata.status == 200)
        #expect(try metadata.json()["versions"] == ["1"])
        let setosa = try server.http.post("/v2/models/iris-linear/infer",
                                          #"{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}"#)
        #expect(setosa.status == 200)
        let score = try #require(try setosa.json()["outputs"]?.arrayValue?.first?["data"]?.arrayValue?.first)
        guard case .double(let value) = score else {
            Issue.record("expected a number, got \(score)")
            return
        }
        #expect(value < 0)
    }

    @Test func anErrorRateOfOneFifthFailsExactlyEveryFifthOfAHundredRequestsAndMetricsCountThem() throws {
        let server = try start(["--error-rate", "0.2"])
        defer { server.stop() }
        var failed: [Int] = []
        for number in 1...100 {
            let response = try server.http.post("/v2/models/iris/infer", Self.batchOfThree)
            #expect([200, 500].contains(response.status))
            if response.status == 500 {
                failed.append(number)
                #expect(try response.json()["error"]?.stringValue?.hasPrefix("injected failure") == true)
            }
        }
        #expect(failed == Array(stride(from: 5, through: 100, by: 5)))

        let metrics = try server.http.get("/metrics")
        #expect(metrics.status == 200)
        let lines = Set(metrics.body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"model_infer_request_success_total{model="iris",version="2"} 80.0"#))
        #expect(lines.contains(#"model_infer_request_failure_total{model="iris",version="2"} 20.0"#))
        #expect(lines.contains(#"model_infer_request_duration_count{model="iris",version="2"} 100.0"#))
        #expect(lines.contains(#"model_infer_request_duration_bucket{model="iris",version="2",le="+Inf"} 100.0"#))
    }

    @Test func latencyDelaysEveryInferAnswerByAtLeastItsDuration() throws {
        let server = try start(["--latency", "300ms"])
        defer { server.stop() }
        for _ in 1...3 {
            let started = ContinuousClock.now
            #expect(try server.http.post("/v2/models/iris/infer", Self.batchOfThree).status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
        #expect(server.standardError.contains("(faults: latency 300ms)"))
    }

    @Test func failAfterExitsWithStatusOneRightAfterTheNthInferRequest() throws {
        let server = try start(["--fail-after", "3"])
        defer { server.stop() }
        for _ in 1...3 {
            #expect(try server.http.post("/v2/models/iris/infer", Self.batchOfThree).status == 200)
        }
        #expect(server.exitCode(within: .seconds(30)) == 1)
        #expect(server.standardError.contains("exiting with status 1 after 3 infer requests (--fail-after)"))
    }

    @Test func readyAfterKeepsReadinessAt503UntilItHasPassed() throws {
        let server = try start(["--ready-after", "2s"])
        defer { server.stop() }
        let early = try server.http.get("/v2/health/ready")
        if ContinuousClock.now - server.startedAt < .milliseconds(1900) {
            #expect(early.status == 503)
            #expect(try early.json() == ["ready": false])
            #expect(try server.http.get("/v2/models/iris/ready").status == 503)
        }
        #expect(try server.http.get("/v2/health/live").status == 200)
        let becameReady = ModelServerProcess.waitUntil(timeout: .seconds(60)) {
            (try? server.http.get("/v2/health/ready").status) == 200
        }
        #expect(becameReady)
        #expect(ContinuousClock.now - server.startedAt >= .seconds(2))
    }

    @Test func sigtermAnswersTheRequestInFlightThenExitsZero() throws {
        let server = try start(["--latency", "1500ms", "--verbose"])
        defer { server.stop() }
        let idle = try LoopbackHTTP.Connection(port: server.port)
        defer { idle.close() }
        let busy = try LoopbackHTTP.Connection(port: server.port)
        defer { busy.close() }
        try busy.send("POST", "/v2/models/iris/infer", body: Self.batchOfThree)
        #expect(ModelServerProcess.waitUntil(timeout: .seconds(30)) {
            server.standardError.contains("POST /v2/models/iris/infer\n")
        })
        server.signal(SIGTERM)
        let answer = try busy.readResponse()
        #expect(answer.status == 200)
        #expect(answer.headers["connection"] == "close")
        #expect(try answer.json()["id"] == "req-7")
        #expect(server.exitCode(within: .seconds(30)) == 0)
    }

    @Test func sigtermStopsAnIdleServerWithStatusZero() throws {
        let server = try start()
        defer { server.stop() }
        let idle = try LoopbackHTTP.Connection(port: server.port)
        defer { idle.close() }
        #expect(try server.http.get("/v2/health/live").status == 200)
        server.signal(SIGTERM)
        #expect(server.exitCode(within: .seconds(30)) == 0)
        #expect(server.standardError.split(separator: "\n").count == 1)
    }

    @Test func aMissingModelFileIsOneLineNamingThePath() throws {
        let scratch = try Scratch()
        let missing = scratch.path("absent.json")
        let (status, stderr) = try ModelServerProcess.runToExit(["--model", missing, "--port", "0"], in: scratch)
        #expect(status == 1)
        #expect(stderr == "serin-model-server: error: model file \(missing) does not exist: pass --model with the path "
            + "or file:// URI of a model JSON file\n")
    }

    @Test func anInvalidModelFileIsOneLineNamingTheFieldOrTheJSONError() throws {
        let scratch = try Scratch()
        let badField = try scratch.write("bad-field.json", #"{"type": "linear", "weights": [1, "x"], "bias": 0}"#)
        let field = try ModelServerProcess.runToExit(["--model", badField, "--port", "0"], in: scratch)
        #expect(field.status == 1)
        #expect(field.stderr == "serin-model-server: error: model file \(badField): \"weights\"[1] is \"x\": expected a number\n")

        let badJSON = try scratch.write("bad-json.json", #"{"type": "linear" "weights": [1]}"#)
        let json = try ModelServerProcess.runToExit(["--model", badJSON, "--port", "0"], in: scratch)
        #expect(json.status == 1)
        #expect(json.stderr == "serin-model-server: error: model file \(badJSON) is not valid JSON: invalid JSON at byte 18: "
            + "expected ',' or '}'\n")
    }

    @Test func aPortInUseIsOneLineNamingThePort() throws {
        let scratch = try Scratch()
        let model = try scratch.write("iris.json", Self.modelJSON)
        let occupied = try Loopback.occupyPort()
        defer { close(occupied.descriptor) }
        let (status, stderr) = try ModelServerProcess.runToExit(["--model", model, "--port", "\(occupied.port)"], in: scratch)
        #expect(status == 1)
        #expect(stderr == "serin-model-server: error: 127.0.0.1:\(occupied.port) is already in use: stop the process "
            + "listening there or pass another --port\n")
    }

    @Test func flagsOutOfRangeAreUsageErrors() throws {
        let scratch = try Scratch()
        let model = try scratch.write("iris.json", Self.modelJSON)
        let rate = try ModelServerProcess.runToExit(["--model", model, "--port", "0", "--error-rate", "1.5"], in: scratch)
        #expect(rate.status == 64)
        #expect(rate.stderr.contains("--error-rate 1.5 is not a share: use a number from 0 to 1"))
        let latency = try ModelServerProcess.runToExit(["--model", model, "--port", "0", "--latency", "50"], in: scratch)
        #expect(latency.status == 64)
        #expect(latency.stderr.contains(#"--latency: "50" is not a duration"#))
    }
}
