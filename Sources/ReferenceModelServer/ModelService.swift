import Foundation
import SerinCore
import Synchronization

/// The Open Inference Protocol v2 REST endpoints for one model, with fault injection and metrics, independent of
/// the HTTP transport so that tests drive it in-process:
///
/// - `GET /v2/health/live`, `GET /v2/health/ready`, `GET /v2`
/// - `GET /v2/models/<name>[/versions/<v>]`, `GET /v2/models/<name>[/versions/<v>]/ready`
/// - `POST /v2/models/<name>[/versions/<v>]/infer`
/// - `GET /metrics`
///
/// Errors answer `{"error": "..."}`: 400 for a bad request (bad JSON, wrong shape or datatype, unknown model or
/// version), 404 for an unknown path, 405 for a wrong method, 500 for an injected failure.
public final class ModelService: Sendable {
    public let served: ServedModel
    public let faults: FaultInjection
    public let metrics: InferenceMetrics
    private let startedAt: ContinuousClock.Instant
    /// Infer requests for the served model so far: the request number that fault injection counts.
    private let inferCount = Mutex(0)

    public init(served: ServedModel, faults: FaultInjection = FaultInjection()) {
        self.served = served
        self.faults = faults
        self.metrics = InferenceMetrics(modelName: served.name, modelVersion: served.version)
        self.startedAt = .now
    }

    /// Ready once `--ready-after` has passed since the service was made.
    public var isReady: Bool {
        ContinuousClock.now >= startedAt + faults.readyAfter
    }

    /// Answers one request. `sleep` waits out `--latency`; the HTTP layer passes one that schedules on the
    /// connection's event loop, so a slow answer never blocks other connections.
    public func respond(to request: ServiceRequest,
                        sleep: @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }) async -> ServiceReply
    {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
            .map { String($0).removingPercentEncoding ?? String($0) }
        switch segments {
        case ["v2", "health", "live"]:
            return .respond(only("GET", request) ?? .json(200, ["live": true]), thenExit: false)
        case ["v2", "health", "ready"]:
            let ready = isReady
            return .respond(only("GET", request) ?? .json(ready ? 200 : 503, ["ready": .bool(ready)]), thenExit: false)
        case ["v2"]:
            return .respond(only("GET", request) ?? .json(200, ModelMetadata.server), thenExit: false)
        case ["metrics"]:
            return .respond(only("GET", request) ?? ServiceResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.prometheusText),
                thenExit: false)
        default:
            break
        }
        guard let route = ModelRoute(segments) else {
            return .respond(.error(404, "no such path \(request.path): this server answers /v2/health/live, "
                + "/v2/health/ready, /v2/models/<name>[/versions/<version>][/ready|/infer] and /metrics"),
                thenExit: false)
        }
        let method = route.action == .infer ? "POST" : "GET"
        if let wrongMethod = only(method, request) {
            return .respond(wrongMethod, thenExit: false)
        }
        if let unknown = checkModel(route) {
            return .respond(unknown, thenExit: false)
        }
        switch route.action {
        case .metadata:
            return .respond(.json(200, ModelMetadata.model(served)), thenExit: false)
        case .ready:
            let ready = isReady
            return .respond(.json(ready ? 200 : 503, ["name": .string(served.name), "ready": .bool(ready)]),
                            thenExit: false)
        case .infer:
            return await infer(request.body, sleep: sleep)
        }
    }

    /// A 405 when the method is not `method`, nil when it is.
    private func only(_ method: String, _ request: ServiceRequest) -> ServiceResponse? {
        guard request.method != method else { return nil }
        return .error(405, "\(request.method) is not allowed on \(request.path): use \(method)", headers: ["Allow": method])
    }

    /// A 400 naming what this server serves when the route names another model or version.
    private func checkModel(_ route: ModelRoute) -> ServiceResponse? {
        guard route.name == served.name else {
            return .error(400, "unknown model \"\(route.name)\": this server serves \"\(served.name)\"")
        }
        if let version = route.version, version != served.version {
            return .error(400, "model \"\(served.name)\" has no version \"\(version)\": this server serves version "
                + "\"\(served.version)\"")
        }
        return nil
    }

    private func infer(_ body: [UInt8], sleep: @Sendable (Duration) async -> Void) async -> ServiceReply {
        let requestNumber = inferCount.withLock { count in
            count += 1
            return count
        }
        if let failAfter = faults.failAfter, requestNumber > failAfter {
            // Already past the crash: the process is exiting; answer nothing, as a dead server would.
            return .dropConnection
        }
        let started = ContinuousClock.now
        if faults.latency > .zero {
            await sleep(faults.latency)
        }
        let response: ServiceResponse
        if faults.injectsFailure(requestNumber: requestNumber) {
            response = .error(500, "injected failure: infer request \(requestNumber) fails by --error-rate "
                + "\(faults.errorRate)")
        } else {
            response = predict(body)
        }
        metrics.record(success: response.status == 200, duration: ContinuousClock.now - started)
        return .respond(response, thenExit: requestNumber == faults.failAfter)
    }

    /// Decodes, checks against the model, predicts, encodes.
    func predict(_ body: [UInt8]) -> ServiceResponse {
        let request: InferenceRequest
        do throws(InferenceRequestError) {
            request = try InferenceRequest(decoding: body)
            try check(request)
        } catch {
            return .error(400, error.description)
        }
        let predictions = served.model.predict(batch: request.input.values)
        if let row = predictions.firstIndex(where: { !$0.isFinite }) {
            return .error(400, "the prediction for row \(row) is not a finite number: the input values are too large")
        }
        let response = InferenceResponse(
            modelName: served.name, modelVersion: served.version, id: request.id ?? UUID().uuidString.lowercased(),
            outputs: [OutputTensor(name: ServedModel.outputName, shape: [predictions.count], data: predictions)])
        return .json(200, response.json)
    }

    /// Whether the request's tensor and requested outputs fit this model.
    func check(_ request: InferenceRequest) throws(InferenceRequestError) {
        let input = request.input
        guard input.shape.count == 2, input.shape[1] == served.model.featureCount else {
            throw .shapeMismatch(input: input.name, shape: input.shape, featureCount: served.model.featureCount)
        }
        if let unknown = request.requestedOutputs.first(where: { $0 != ServedModel.outputName }) {
            throw .unknownOutput(name: unknown, available: [ServedModel.outputName])
        }
    }
}

/// `/v2/models/<name>[/versions/<version>][/ready|/infer]` taken apart.
struct ModelRoute: Hashable {
    enum Action: Hashable {
        case metadata
        case ready
        case infer
    }

    var name: String
    var version: String?
    var action: Action

    init?(_ segments: [String]) {
        guard segments.count >= 3, segments[0] == "v2", segments[1] == "models" else { return nil }
        name = segments[2]
        var rest = segments.dropFirst(3)
        if rest.first == "versions" {
            guard rest.count >= 2 else { return nil }
            version = rest.dropFirst().first
            rest = rest.dropFirst(2)
        } else {
            version = nil
        }
        switch Array(rest) {
        case []: action = .metadata
        case ["ready"]: action = .ready
        case ["infer"]: action = .infer
        default: return nil
        }
    }
}
