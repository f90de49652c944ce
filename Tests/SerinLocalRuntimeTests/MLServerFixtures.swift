import Foundation
import SerinCore
import SerinHTTP

/// MLServer and scikit-learn in the repository's `.venv`, made by scripts/install-python.sh (`make test` runs it).
struct MLServerVenv {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "\(path) is missing: the MLServer end-to-end test runs a real MLServer from the repository's .venv; " +
                "run `make test` (or scripts/install-python.sh) to create it"
        }
    }

    static let root = Built.repositoryRoot + "/.venv"
    let python = root + "/bin/python"
    let mlserver = root + "/bin/mlserver"

    /// Fails, naming what to run, when the venv is not there: the test must not pass or skip silently without it.
    static func require() throws -> MLServerVenv {
        let venv = MLServerVenv()
        for path in [venv.python, venv.mlserver] where !FileManager.default.isExecutableFile(atPath: path) {
            throw Missing(path: path)
        }
        return venv
    }
}

/// Two scikit-learn models trained at set-up time by the venv's Python, each in a directory of its own as MLServer
/// loads them (`model.joblib`), with the class probabilities each gives for `IrisModels.row`.
final class IrisModels: @unchecked Sendable {
    /// One iris flower (a setosa): sepal length and width, petal length and width.
    static let row = [5.1, 3.5, 1.4, 0.2]
    /// v2 is v1 regularised a hundred times harder, so its probabilities for the same row differ.
    static let regularisation = ["1": 1.0, "2": 0.01]

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-mlserver-\(UUID().uuidString)").path
    private(set) var probabilities: [String: [Double]] = [:]
    private(set) var sklearnVersion = ""

    struct TrainingFailed: Error, CustomStringConvertible {
        var description: String
    }

    init(venv: MLServerVenv) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = directory + "/train.py"
        try Data(Self.trainingScript.utf8).write(to: URL(fileURLWithPath: script))
        let versions = Self.regularisation.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let row = Self.row.map { String($0) }.joined(separator: ",")
        let (status, output) = try await runProcess(venv.python, [script, directory, row] + versions, timeout: .seconds(180))
        guard status == 0 else { throw TrainingFailed(description: "training the iris models exited with \(status): \(output)") }
        guard let data = FileManager.default.contents(atPath: directory + "/expected.json"),
              let expected = try? JSONValue(parsing: Array(data)) else {
            throw TrainingFailed(description: "training wrote no readable expected.json: \(output)")
        }
        sklearnVersion = expected["sklearn"]?.stringValue ?? ""
        for (version, values) in expected["probabilities"]?.objectValue ?? [:] {
            probabilities[version] = values.arrayValue?.compactMap(\.number) ?? []
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func uri(_ version: String) -> String { "file://\(directory)/v\(version)" }

    /// Trains a LogisticRegression per version on iris, saves it with joblib where MLServer's sklearn runtime looks
    /// for it, and records what each predicts for the row, so that the test can tell which model answered.
    private static let trainingScript = """
    import json, os, sys
    import joblib, sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    directory, row = sys.argv[1], [float(value) for value in sys.argv[2].split(",")]
    features, labels = load_iris(return_X_y=True)
    probabilities = {}
    for argument in sys.argv[3:]:
        version, regularisation = argument.split("=")
        model = LogisticRegression(C=float(regularisation), max_iter=1000).fit(features, labels)
        os.makedirs(os.path.join(directory, "v" + version))
        joblib.dump(model, os.path.join(directory, "v" + version, "model.joblib"))
        probabilities[version] = model.predict_proba([row])[0].tolist()
    with open(os.path.join(directory, "expected.json"), "w") as expected:
        json.dump({"sklearn": sklearn.__version__, "probabilities": probabilities}, expected)

    """
}

/// A ModelDeployment serving `models`' `version` with the venv's MLServer, as a user would write it for the local
/// runtime. Every port MLServer opens besides HTTP is 0 (the kernel picks a free one), so two versions run side by
/// side during a canary; parallel workers are off, so each version is one process.
func mlserverDocument(version: String, venv: MLServerVenv, models: IrisModels) -> String {
    let environment = [
        ("MLSERVER_HTTP_PORT", "{{port}}"),
        ("MLSERVER_HOST", "127.0.0.1"),
        ("MLSERVER_GRPC_PORT", "0"),
        ("MLSERVER_METRICS_PORT", "0"),
        ("MLSERVER_PARALLEL_WORKERS", "0"),
        ("MLSERVER_MODEL_NAME", "{{model.name}}"),
        ("MLSERVER_MODEL_VERSION", "{{model.version}}"),
        ("MLSERVER_MODEL_IMPLEMENTATION", "mlserver_sklearn.SKLearnModel"),
        ("MLSERVER_MODEL_URI", "{{model.uri}}"),
    ]
    return """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata: {name: iris, namespace: ml}
    spec:
      model: {name: iris, version: "\(version)", uri: "\(models.uri(version))", format: sklearn}
      runtime:
        command: ["\(venv.mlserver)", start, .]
        env:
    \(environment.map { "      - {name: \($0.0), value: \"\($0.1)\"}" }.joined(separator: "\n"))
        readinessPath: /v2/health/ready
      rollout:
        steps: [50, 100]
        interval: 2s
        maxFailedChecks: 2
        minRequests: 5
        progressDeadline: 180s
        gates:
          - successRate: {min: 0.95}

    """
}

/// One inference request through the router, and what came back.
struct Inference: Sendable {
    /// The canary's share of traffic just before the request was sent and just after its answer came, or nil when
    /// no canary was running with a stable version.
    var canaryShareBefore: Int?
    var canaryShareAfter: Int?
    var modelVersion: String?
    var probabilities: [Double]
    var failure: String?

    var duringCanary: Bool {
        guard let canaryShareBefore, canaryShareBefore == canaryShareAfter else { return false }
        return (1...99).contains(canaryShareBefore)
    }

    static let body = Array("""
    {"inputs":[{"name":"flower","shape":[1,4],"datatype":"FP64","data":[\(IrisModels.row.map { String($0) }.joined(separator: ","))]}],\
    "outputs":[{"name":"predict_proba"}]}
    """.utf8)

    /// Asks the router for `model`'s class probabilities of the iris row.
    static func send(routerPort: Int, model: String) async -> (version: String?, probabilities: [Double], failure: String?) {
        let request = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(routerPort)/v2/models/\(model)/infer",
                                  headers: ["Content-Type: application/json"], body: body, timeout: .seconds(10))
        let response: HTTPResponse
        do {
            response = try await HTTPTransport.send(request)
        } catch {
            return (nil, [], "\(error)")
        }
        let text = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200, let answer = try? JSONValue(parsing: response.body) else {
            return (nil, [], "status \(response.status): \(text)")
        }
        let output = answer["outputs"]?.arrayValue?.first { $0["name"]?.stringValue == "predict_proba" }
        return (answer["model_version"]?.stringValue, output?["data"]?.arrayValue?.compactMap(\.number) ?? [], nil)
    }
}

extension JSONValue {
    var number: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

/// Runs `executable` to the end (or kills it after `timeout`) without blocking a thread of Swift's cooperative pool;
/// returns its exit status and what it printed.
func runProcess(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> (Int32, String) {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("serin-process-\(UUID().uuidString).log").path
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    defer { try? output.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    let (exits, exited) = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { exited.yield($0.terminationStatus); exited.finish() }
    try process.run()
    let status = await withTaskGroup(of: Int32?.self) { group in
        group.addTask { await exits.first { _ in true } ?? -1 }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        // nil is the timeout: stop the process, then wait for its exit like any other.
        while let result = await group.next() {
            guard let result else {
                process.terminate()
                continue
            }
            group.cancelAll()
            return result
        }
        return -1
    }
    let text = FileManager.default.contents(atPath: outputPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
    return (status, text)
}
