import Foundation
import ReferenceModelServer
import Testing

/// Reading model files: the format, and one clear line for every way a file can be wrong.
@Suite("Model files")
struct ModelFileTests {
    func parse(_ text: String) throws(ModelLoadError) -> LinearModel {
        try ModelFile.parse(Array(text.utf8), path: "m.json")
    }

    func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func aLinearAndALogisticDocumentAreRead() throws {
        let linear = try parse(#"{"type": "linear", "weights": [1, -0.5, 2e-1], "bias": 3}"#)
        #expect(linear == LinearModel(kind: .linear, weights: [1, -0.5, 0.2], bias: 3))
        let logistic = try parse(#"{"type": "logistic", "weights": [2], "bias": -1.5, "description": "toy"}"#)
        #expect(logistic == LinearModel(kind: .logistic, weights: [2], bias: -1.5))
    }

    @Test func theQuickstartExampleModelsLoad() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/quickstart/models")
        let linear = try ModelFile.load(path: folder.appendingPathComponent("iris-linear.json").path)
        #expect(linear.kind == .linear)
        #expect(linear.featureCount == 4)
        let logistic = try ModelFile.load(path: folder.appendingPathComponent("iris-logistic.json").path)
        #expect(logistic.kind == .logistic)
        #expect(logistic.weights == linear.weights)
    }

    @Test func eachInvalidFieldIsNamedWithWhatWasExpected() {
        #expect(error("[1, 2]") == #"model file m.json: the document is [1,2]: expected an object like {"type": "linear", "weights": [0.5, -1.25], "bias": 0.1}"#)
        #expect(error(#"{"weights": [1], "bias": 0}"#) == #"model file m.json: "type" is missing: expected "linear" or "logistic""#)
        #expect(error(#"{"type": "tree", "weights": [1], "bias": 0}"#) == #"model file m.json: "type" is "tree": expected "linear" or "logistic""#)
        #expect(error(#"{"type": "linear", "weights": [], "bias": 0}"#) == #"model file m.json: "weights" is []: expected a non-empty list of numbers, one per input feature"#)
        #expect(error(#"{"type": "linear", "weights": [1, "2"], "bias": 0}"#) == #"model file m.json: "weights"[1] is "2": expected a number"#)
        #expect(error(#"{"type": "linear", "weights": [1]}"#) == #"model file m.json: "bias" is missing: expected a number (the intercept; 0 for none)"#)
        #expect(error(#"{"type": "linear", "weights": [1], "bias": 0, "bais": 1}"#) == #"model file m.json: field "bais" is not a model field: expected only type, weights, bias and description"#)
    }

    @Test func invalidJSONSaysWhere() {
        #expect(error(#"{"type": "linear",, }"#) == "model file m.json is not valid JSON: invalid JSON at byte 18: expected a string key")
    }

    @Test func aMissingFileIsNamed() throws {
        let scratch = try Scratch()
        let path = scratch.path("absent.json")
        #expect(throws: ModelLoadError(path: path, reason: .missing)) { try ModelFile.load(path: path) }
        #expect(ModelLoadError(path: path, reason: .missing).description
            == "model file \(path) does not exist: pass --model with the path or file:// URI of a model JSON file")
        #expect(throws: ModelLoadError(path: scratch.url.path, reason: .isDirectory)) {
            try ModelFile.load(path: scratch.url.path)
        }
    }

    @Test func pathsAndFileURIsNameLocalFilesAndOtherURIsAreRefused() throws {
        #expect(try ModelSource.path(from: "models/iris.json") == "models/iris.json")
        #expect(try ModelSource.path(from: "file:///srv/models/iris%202.json") == "/srv/models/iris 2.json")
        #expect(try ModelSource.path(from: "file://localhost/srv/iris.json") == "/srv/iris.json")
        for uri in ["s3://bucket/iris.json", "file://other-host/iris.json", "gs://b/m.json"] {
            #expect(throws: ModelLoadError(path: uri, reason: .unsupportedURI)) { try ModelSource.path(from: uri) }
        }
    }

    @Test func theDefaultNameIsTheFileNameWithoutJSON() {
        #expect(ModelSource.defaultName(forPath: "/srv/models/iris-linear.json") == "iris-linear")
        #expect(ModelSource.defaultName(forPath: "fraud.model") == "fraud.model")
    }
}
