import ReferenceModelServer
import SerinCore
import Testing

/// The Open Inference Protocol v2 request and response JSON, as MLServer and KServe clients send and read it.
@Suite("Inference request and response codec")
struct InferenceCodecTests {
    func decode(_ text: String) throws(InferenceRequestError) -> InferenceRequest {
        try InferenceRequest(decoding: Array(text.utf8))
    }

    func error(_ text: String) -> String {
        do {
            _ = try decode(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func flatAndNestedDataDecodeToTheSameRowMajorValues() throws {
        let flat = try decode(#"{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6.5]}]}"#)
        let nested = try decode(#"{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": [[1, 2, 3], [4, 5, 6.5]]}]}"#)
        #expect(flat.input.values == [1, 2, 3, 4, 5, 6.5])
        #expect(nested.input == flat.input)
        #expect(flat.input.shape == [2, 3])
        #expect(flat.input.datatype == .fp64)
    }

    @Test func fp32ValuesAreRoundedToSinglePrecisionAndFP64ValuesAreKept() throws {
        let single = try decode(#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [0.1, 3]}]}"#)
        let double = try decode(#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [0.1, 3]}]}"#)
        #expect(single.input.values == [Double(Float(0.1)), 3])
        #expect(double.input.values == [0.1, 3])
        #expect(single.input.values[0] != 0.1)
    }

    @Test func theIDParametersAndRequestedOutputsAreRead() throws {
        let request = try decode("""
            {"id": "req-42", "parameters": {"content_type": "np"},
             "inputs": [{"name": "input-0", "shape": [1, 1], "datatype": "FP64", "parameters": {}, "data": [[7]]}],
             "outputs": [{"name": "predict"}]}
            """)
        #expect(request.id == "req-42")
        #expect(request.requestedOutputs == ["predict"])
        #expect(try decode(#"{"inputs": [{"name": "x", "shape": [0, 4], "datatype": "FP64", "data": []}]}"#).id == nil)
    }

    @Test func wrongRequestsAreRefusedNamingTheField() {
        #expect(error("{") == "the request body is not valid JSON: invalid JSON at byte 1: expected a string key")
        #expect(error("[]") == #"the request body must be a JSON object with an "inputs" list (Open Inference Protocol v2)"#)
        #expect(error("{}") == "inputs is missing: expected a list with one input tensor")
        #expect(error(#"{"inputs": []}"#) == "this model takes exactly one input tensor, the request has 0")
        #expect(error(#"{"id": 7, "inputs": []}"#) == "id is 7: expected a string")
        #expect(error(#"{"inputs": [{"shape": [1, 1], "datatype": "FP64", "data": [1]}]}"#)
            == "inputs[0].name is missing: expected a string")
        #expect(error(#"{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "INT64", "data": [1]}]}"#)
            == #"input "x" has datatype INT64: this model takes FP32 or FP64"#)
        #expect(error(#"{"inputs": [{"name": "x", "shape": [1, -1], "datatype": "FP64", "data": [1]}]}"#)
            == "inputs[0].shape[1] is -1: expected a dimension of 0 or more")
        #expect(error(#"{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP64"}]}"#)
            == "inputs[0].data is missing: expected a list of numbers")
        #expect(error(#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1, "a"]}]}"#)
            == #"inputs[0].data[1] is "a": expected a number"#)
        #expect(error(#"{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [1e300]}]}"#)
            == "inputs[0].data[0] is 1e+300, outside the FP32 range: send FP64 for such values")
    }

    @Test func dataThatDoesNotFillTheShapeIsRefused() {
        #expect(error(#"{"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6, 7]}]}"#)
            == #"input "x" has shape [2, 4], which holds 8 values, but its data has 7"#)
        #expect(error(#"{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP64", "data": [[1, 2], [3]]}]}"#)
            == "inputs[0].data[1] is a list of 1: expected a list of 2 (shape [2, 2])")
        #expect(error(#"{"inputs": [{"name": "x", "shape": [3, 2], "datatype": "FP64", "data": [[1, 2], [3, 4]]}]}"#)
            == "inputs[0].data is a list of 2: expected a list of 3 (shape [3, 2])")
        #expect(error(#"{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP64", "data": [[1, 2], 3]}]}"#)
            == "inputs[0].data[1] is 3: expected a list of 2 (shape [2, 2])")
        #expect(error(#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [[[1], [2]]]}]}"#)
            == "inputs[0].data[0][0] is [1]: expected a number")
    }

    @Test func theResponseHasTheProtocolShape() throws {
        let response = InferenceResponse(modelName: "iris", modelVersion: "2", id: "req-1",
                                         outputs: [OutputTensor(name: "predict", shape: [3], data: [0.5, -1.25, 3])])
        #expect(response.json == [
            "model_name": "iris",
            "model_version": "2",
            "id": "req-1",
            "outputs": [["name": "predict", "shape": [3], "datatype": "FP64", "data": [0.5, -1.25, 3.0]]],
        ])
        #expect(response.json.serialized == #"{"id":"req-1","model_name":"iris","model_version":"2","outputs":[{"data":[0.5,-1.25,3],"datatype":"FP64","name":"predict","shape":[3]}]}"#)
    }
}
