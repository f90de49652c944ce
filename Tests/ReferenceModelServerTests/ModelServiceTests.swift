import ReferenceModelServer
import SerinCore
import Testing

/// The protocol's endpoints in-process: routes, answers, errors, fault injection and metrics, without sockets.
@Suite("Model service endpoints")
struct ModelServiceTests {
    static let model = LinearModel(kind: .linear, weights: [0.5, -2, 0.25, 4], bias: 1)

    func service(_ faults: FaultInjection = FaultInjection()) throws -> ModelService {
        ModelService(served: ServedModel(name: "iris", version: "2", model: try #require(Self.model), source: "iris.json"),
                     faults: faults)
    }

    func get(_ service: ModelService, _ path: String) async -> ServiceResponse {
        await service.respond(to: ServiceRequest(method: "GET", uri: path)).response
            ?? ServiceResponse(status: 0, contentType: "", body: "dropped")
    }

    func infer(_ service: ModelService, _ body: String, path: String = "/v2/models/iris/infer") async -> ServiceReply {
        await service.respond(to: ServiceRequest(method: "POST", uri: path, body: Array(body.utf8)))
    }

    static let batchOfThree = """
        {"id": "abc", "inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP64",
          "data": [[2, 1, 4, 0.5], [0, 0, 0, 0], [-1, 0.5, 8, 0.125]]}]}
        """

    @Test func healthAnswersLiveAndReady() async throws {
        let service = try service()
        let live = await get(service, "/v2/health/live")
        #expect(live.status == 200)
        #expect(live.json == ["live": true])
        let ready = await get(service, "/v2/health/ready")
        #expect(ready.status == 200)
        #expect(ready.json == ["ready": true])
        #expect(await get(service, "/v2/models/iris/ready").json == ["name": "iris", "ready": true])
        #expect(await get(service, "/v2/models/iris/versions/2/ready").status == 200)
    }

    @Test func metadataDescribesTheTensors() async throws {
        let response = await get(try service(), "/v2/models/iris")
        #expect(response.status == 200)
        #expect(response.json == [
            "name": "iris",
            "versions": ["2"],
            "platform": "serin-reference-linear",
            "inputs": [["name": "input-0", "datatype": "FP64", "shape": [-1, 4]]],
            "outputs": [["name": "predict", "datatype": "FP64", "shape": [-1]]],
        ])
        #expect(await get(try service(), "/v2/models/iris/versions/2").json == response.json)
        #expect(await get(try service(), "/v2").json?["name"] == "serin-model-server")
    }

    @Test func inferAnswersOnePredictionPerRowAndEchoesTheID() async throws {
        for path in ["/v2/models/iris/infer", "/v2/models/iris/versions/2/infer"] {
            let reply = await infer(try service(), Self.batchOfThree, path: path)
            let response = try #require(reply.response)
            #expect(reply == .respond(response, thenExit: false))
            #expect(response.status == 200)
            #expect(response.contentType == "application/json")
            #expect(response.json == [
                "model_name": "iris",
                "model_version": "2",
                "id": "abc",
                "outputs": [["name": "predict", "shape": [3], "datatype": "FP64", "data": [3, 1, 2]]],
            ])
        }
    }

    @Test func aRequestWithoutAnIDGetsOne() async throws {
        let body = #"{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [2, 1, 4, 0.5]}]}"#
        let response = try #require(await infer(try service(), body).response)
        #expect(response.status == 200)
        let id = try #require(response.json?["id"]?.stringValue)
        #expect(id.count == 36)
    }

    @Test func badRequestsAnswer400WithTheReason() async throws {
        let service = try service()
        let cases: [(body: String, path: String, error: String)] = [
            ("oops", "/v2/models/iris/infer", "the request body is not valid JSON: invalid JSON at byte 0: unexpected character"),
            (#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}"#, "/v2/models/iris/infer",
             #"input "x" has shape [1, 3]: this model takes shape [batch, 4]"#),
            (#"{"inputs": [{"name": "x", "shape": [4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}"#, "/v2/models/iris/infer",
             #"input "x" has shape [4]: this model takes shape [batch, 4]"#),
            (#"{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "BYTES", "data": ["a"]}]}"#, "/v2/models/iris/infer",
             #"input "x" has datatype BYTES: this model takes FP32 or FP64"#),
            (Self.batchOfThree.replacingOccurrences(of: "}]}", with: #"}], "outputs": [{"name": "proba"}]}"#),
             "/v2/models/iris/infer", #"output "proba" does not exist: this model outputs "predict""#),
            (Self.batchOfThree, "/v2/models/fraud/infer", #"unknown model "fraud": this server serves "iris""#),
            (Self.batchOfThree, "/v2/models/iris/versions/1/infer",
             #"model "iris" has no version "1": this server serves version "2""#),
        ]
        for (body, path, message) in cases {
            let response = try #require(await infer(service, body, path: path).response)
            #expect(response.status == 400, "\(path) \(body)")
            #expect(response.json == ["error": .string(message)])
        }
        #expect(await get(service, "/v2/models/fraud").status == 400)
    }

    @Test func unknownPathsAnswer404AndWrongMethods405() async throws {
        let service = try service()
        let missing = await get(service, "/v1/models/iris:predict")
        #expect(missing.status == 404)
        #expect(missing.json?["error"]?.stringValue?.hasPrefix("no such path /v1/models/iris:predict") == true)
        #expect(await get(service, "/v2/models/iris/explain").status == 404)
        let wrongMethod = await get(service, "/v2/models/iris/infer")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers == ["Allow": "POST"])
        #expect(wrongMethod.json == ["error": "GET is not allowed on /v2/models/iris/infer: use POST"])
    }

    @Test func theErrorRateFailsExactlyItsShareWith500() async throws {
        let service = try service(FaultInjection(errorRate: 0.25))
        var statuses: [Int] = []
        for _ in 1...20 {
            statuses.append(try #require(await infer(service, Self.batchOfThree).response).status)
        }
        #expect(statuses == Array(repeating: [200, 200, 200, 500], count: 5).flatMap { $0 })
        #expect(try #require(await infer(service, Self.batchOfThree).response).status == 200)
        let always = try #require(await infer(try self.service(FaultInjection(errorRate: 1)), Self.batchOfThree).response)
        #expect(always.json == ["error": "injected failure: infer request 1 fails by --error-rate 1.0"])
    }

    @Test func failAfterAsksToExitAfterTheNthAnswerAndDropsLaterRequests() async throws {
        let service = try service(FaultInjection(failAfter: 2))
        #expect(await infer(service, Self.batchOfThree).response?.status == 200)
        guard case .respond(let second, thenExit: true) = await infer(service, Self.batchOfThree) else {
            Issue.record("the second infer request should ask to exit")
            return
        }
        #expect(second.status == 200)
        #expect(await infer(service, Self.batchOfThree) == .dropConnection)
        #expect(await get(service, "/v2/health/live").status == 200)
    }

    @Test func latencyDelaysTheAnswerByAtLeastItsDuration() async throws {
        let service = try service(FaultInjection(latency: .milliseconds(100)))
        let started = ContinuousClock.now
        #expect(await infer(service, Self.batchOfThree).response?.status == 200)
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        #expect(service.metrics.snapshot.durationSum >= 0.1)
    }

    @Test func readinessAnswers503UntilReadyAfterHasPassed() async throws {
        let service = try service(FaultInjection(readyAfter: .milliseconds(300)))
        let started = ContinuousClock.now
        let early = await get(service, "/v2/health/ready")
        if ContinuousClock.now - started < .milliseconds(300) {
            #expect(early.status == 503)
            #expect(early.json == ["ready": false])
        }
        #expect(await get(service, "/v2/health/live").status == 200)
        try await Task.sleep(for: .milliseconds(300))
        #expect(await get(service, "/v2/health/ready").status == 200)
        #expect(await get(service, "/v2/models/iris/ready").status == 200)
    }

    @Test func metricsCountSuccessesFailuresAndDurationsUnderMLServerNames() async throws {
        let service = try service(FaultInjection(errorRate: 0.5))
        for _ in 1...4 {
            _ = await infer(service, Self.batchOfThree)
        }
        _ = await infer(service, "oops")
        _ = await infer(service, Self.batchOfThree, path: "/v2/models/other/infer")
        let metrics = await get(service, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
        let lines = metrics.body.split(separator: "\n").map(String.init)
        // Requests 2 and 4 were injected failures, request 5 was bad JSON; the unknown model is not counted.
        #expect(lines.contains(#"model_infer_request_success_total{model="iris",version="2"} 2.0"#))
        #expect(lines.contains(#"model_infer_request_failure_total{model="iris",version="2"} 3.0"#))
        #expect(lines.contains(#"model_infer_request_duration_count{model="iris",version="2"} 5.0"#))
        #expect(lines.contains(#"model_infer_request_duration_bucket{model="iris",version="2",le="+Inf"} 5.0"#))
        #expect(lines.contains("# TYPE model_infer_request_duration histogram"))
        #expect(lines.contains { $0.hasPrefix(#"model_infer_request_duration_sum{model="iris",version="2"} "#) })
        let buckets = lines.filter { $0.hasPrefix("model_infer_request_duration_bucket") }
        #expect(buckets.count == InferenceMetrics.bucketBounds.count + 1)
        #expect(buckets.first?.hasPrefix(#"model_infer_request_duration_bucket{model="iris",version="2",le="0.005"} "#) == true)
    }

    @Test func labelValuesAreEscaped() {
        let metrics = InferenceMetrics(modelName: #"a"b\c"#, modelVersion: "1")
        #expect(metrics.prometheusText.contains(#"model_infer_request_success_total{model="a\"b\\c",version="1"} 0.0"#))
    }
}
