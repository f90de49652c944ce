import SerinCore
import Testing

/// The invalid-document corpus: each entry is a document with one mistake a person might make, and the exact
/// diagnostics Serin must print for it, with line, column, field path, what was found and what was expected.
struct InvalidDocumentCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let expected: [String]

    var testDescription: String { name }
}

@Suite("Invalid documents are reported precisely")
struct InvalidDocumentTests {
    @Test("each mistake is reported with its location, field path, found value and expectation", arguments: InvalidDocumentTests.corpus)
    func reportsMistake(_ example: InvalidDocumentCase) {
        let decoding = DesiredState.decode([SourceFile(path: "test.yaml", text: example.yaml)])
        #expect(!decoding.isValid)
        #expect(decoding.state.entries.isEmpty)
        #expect(decoding.diagnostics.map(located) == example.expected)
    }

    @Test func corpusCoversAtLeastFortyMistakes() {
        #expect(Self.corpus.count >= 40)
    }

    private func located(_ diagnostic: Diagnostic) -> String {
        "\(diagnostic.mark.line):\(diagnostic.mark.column): \(diagnostic.severity.rawValue): \(diagnostic.summary)"
    }

    static let corpus: [InvalidDocumentCase] = [
        InvalidDocumentCase(
            name: "unknown top-level field with suggestion",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metdata:
              name: iris
            """#,
            expected: [
                #"1:1: error: missing required field "spec", expected a mapping with model and runtime"#,
                #"3:1: error: metdata: unknown field "metdata", expected one of apiVersion, kind, metadata, spec; did you mean "metadata"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "misspelt spec field",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rolout:
                strategy: canary
            """#,
            expected: [
                #"11:3: error: spec.rolout: unknown field "rolout", expected one of model, runtime, replicas, traffic, rollout, prune; did you mean "rollout"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "snake_case field",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                max_failed_checks: 3
            """#,
            expected: [
                #"12:5: error: spec.rollout.max_failed_checks: unknown field "max_failed_checks", expected one of strategy, steps, interval, maxFailedChecks, maxInconclusiveChecks, minRequests, progressDeadline, metrics, gates, approval; did you mean "maxFailedChecks"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "missing apiVersion",
            yaml: #"""
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"1:1: error: missing required field "apiVersion", expected serin.dev/v1alpha1"#,
            ]
        ),
        InvalidDocumentCase(
            name: "wrong apiVersion",
            yaml: #"""
            apiVersion: serin.dev/v1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"1:13: error: apiVersion: found "serin.dev/v1", expected serin.dev/v1alpha1"#,
            ]
        ),
        InvalidDocumentCase(
            name: "misspelt kind",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeploy
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"2:7: error: kind: found "ModelDeploy", expected ModelDeployment; did you mean "ModelDeployment"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "missing kind",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"1:1: error: missing required field "kind", expected ModelDeployment"#,
            ]
        ),
        InvalidDocumentCase(
            name: "document is a list",
            yaml: #"""
            - a
            - b
            """#,
            expected: [
                #"1:1: error: found a list, expected a ModelDeployment: a mapping with apiVersion, kind, metadata and spec"#,
            ]
        ),
        InvalidDocumentCase(
            name: "missing metadata name",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              namespace: ml
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"4:3: error: metadata: missing required field "name", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "uppercase name",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: Iris_Model
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"4:9: error: metadata.name: found "Iris_Model", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "iris-model"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "name too long",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"4:9: error: metadata.name: found "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bad namespace",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
              namespace: ML.Prod
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"5:14: error: metadata.namespace: found "ML.Prod", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "ml-prod"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bad label key",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
              labels:
                "team name": ml
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"6:5: error: metadata.labels["team name"]: found the string "team name", expected a key of an optional DNS-1123 subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bad label value",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
              labels:
                team: "-ml"
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"6:11: error: metadata.labels["team"]: found the string "-ml", expected a label value of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"#,
            ]
        ),
        InvalidDocumentCase(
            name: "missing spec",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            """#,
            expected: [
                #"1:1: error: missing required field "spec", expected a mapping with model and runtime"#,
            ]
        ),
        InvalidDocumentCase(
            name: "missing model",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"6:3: error: spec: missing required field "model", expected a mapping with version and uri"#,
            ]
        ),
        InvalidDocumentCase(
            name: "missing version",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"7:5: error: spec.model: missing required field "version", expected the version being deployed, e.g. "13""#,
            ]
        ),
        InvalidDocumentCase(
            name: "empty version",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version:
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"7:13: error: spec.model.version: found an empty value, expected the version being deployed, e.g. "13""#,
            ]
        ),
        InvalidDocumentCase(
            name: "version with spaces",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1 beta"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"7:14: error: spec.model.version: found the string "1 beta", expected a version of at most 63 letters, digits, '-', '_', '.' or '+', starting with a letter or digit"#,
            ]
        ),
        InvalidDocumentCase(
            name: "uri with unsupported scheme",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: ftp://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"8:10: error: spec.model.uri: found "ftp://models/iris/1", expected a URI starting with one of s3://, gs://, https://, file://, hf://, pvc://"#,
            ]
        ),
        InvalidDocumentCase(
            name: "uri over http",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: http://models.example.com/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"8:10: error: spec.model.uri: found "http://models.example.com/iris/1", expected a URI starting with one of s3://, gs://, https://, file://, hf://, pvc://; models are fetched over https only"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bare path uri",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: /srv/models/iris
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"8:10: error: spec.model.uri: found "/srv/models/iris", expected a URI starting with one of s3://, gs://, https://, file://, hf://, pvc://; did you mean "file:///srv/models/iris"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bad s3 bucket",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://Models_Bucket/iris
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"8:10: error: spec.model.uri: found "s3://Models_Bucket/iris", expected s3://BUCKET/PATH with a bucket name of 3 to 63 lowercase letters, digits, '.' and '-'"#,
            ]
        ),
        InvalidDocumentCase(
            name: "file uri relative",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: file://models/iris
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"8:10: error: spec.model.uri: found "file://models/iris", expected file:///ABSOLUTE/PATH (three slashes, then an absolute path)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "unknown format",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
                format: scikit
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"9:13: error: spec.model.format: found "scikit", expected one of sklearn, xgboost, onnx, pytorch, tensorflow, triton, huggingface, custom"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bad digest",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
                digest: sha256:abc123
              runtime:
                image: seldonio/mlserver:1.7.1
            """#,
            expected: [
                #"9:13: error: spec.model.digest: found "sha256:abc123", expected sha256: followed by 64 lowercase hexadecimal digits"#,
            ]
        ),
        InvalidDocumentCase(
            name: "runtime without image or command",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                port: 8080
            """#,
            expected: [
                #"10:5: error: spec.runtime: found neither image nor command, expected image (for Kubernetes), command (for the local runtime), or both"#,
            ]
        ),
        InvalidDocumentCase(
            name: "image with uppercase",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: SeldonIO/MLServer:1.7.1
            """#,
            expected: [
                #"10:12: error: spec.runtime.image: found "SeldonIO/MLServer:1.7.1", expected an image reference such as registry.example.com/team/model-server:1.2 (lowercase repository, optional :tag and @sha256:digest)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "command as a string",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                command: mlserver start .
            """#,
            expected: [
                #"10:14: error: spec.runtime.command: found "mlserver start .", expected a list of strings, e.g. [mlserver, start, .]"#,
            ]
        ),
        InvalidDocumentCase(
            name: "unknown placeholder",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                command: [mlserver, start, "{{model.url}}"]
            """#,
            expected: [
                #"10:32: error: spec.runtime.command[2]: unknown placeholder {{model.url}}, expected one of {{model.name}}, {{model.uri}}, {{model.version}}, {{port}}; did you mean {{model.uri}}?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "unclosed placeholder",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                command: [serve, "--port={{port"]
            """#,
            expected: [
                #"10:22: error: spec.runtime.command[1]: found the string "--port={{port", expected every {{ closed by }}"#,
            ]
        ),
        InvalidDocumentCase(
            name: "port out of range",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                port: 70000
            """#,
            expected: [
                #"11:11: error: spec.runtime.port: found 70000, expected a port number from 1 to 65535"#,
            ]
        ),
        InvalidDocumentCase(
            name: "quoted port",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                port: "8080"
            """#,
            expected: [
                #"11:11: error: spec.runtime.port: found the string "8080", expected a port number from 1 to 65535; remove the quotes: a quoted value is a string"#,
            ]
        ),
        InvalidDocumentCase(
            name: "env as mapping",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                env:
                  LOG_LEVEL: debug
            """#,
            expected: [
                #"12:7: error: spec.runtime.env: found a mapping, expected a list of {name, value} items"#,
            ]
        ),
        InvalidDocumentCase(
            name: "duplicate env",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                env:
                  - {name: A, value: x}
                  - {name: A, value: y}
            """#,
            expected: [
                #"13:9: error: spec.runtime.env[1].name: duplicate environment variable "A", first set in spec.runtime.env[0]"#,
            ]
        ),
        InvalidDocumentCase(
            name: "bad cpu quantity",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                resources: {cpu: one}
            """#,
            expected: [
                #"11:22: error: spec.runtime.resources.cpu: found "one", expected a quantity such as 500m, 2, 512Mi or 4Gi"#,
            ]
        ),
        InvalidDocumentCase(
            name: "limit below request",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                resources:
                  memory: 2Gi
                  limits: {memory: 1Gi}
            """#,
            expected: [
                #"13:24: error: spec.runtime.resources.limits.memory: found "1Gi", expected a limit no lower than the request (2Gi)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "negative gpu",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                resources: {gpu: -1}
            """#,
            expected: [
                #"11:22: error: spec.runtime.resources.gpu: found -1, expected a whole number of GPUs from 0 to 64"#,
            ]
        ),
        InvalidDocumentCase(
            name: "readiness path without slash",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
                readinessPath: health
            """#,
            expected: [
                #"11:20: error: spec.runtime.readinessPath: found "health", expected an absolute URL path starting with '/', without spaces"#,
            ]
        ),
        InvalidDocumentCase(
            name: "replicas zero",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              replicas: 0
            """#,
            expected: [
                #"11:13: error: spec.replicas: found 0, expected a whole number of replicas, at least 1"#,
            ]
        ),
        InvalidDocumentCase(
            name: "replicas as words",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              replicas: three
            """#,
            expected: [
                #"11:13: error: spec.replicas: found "three", expected a whole number of replicas, at least 1"#,
            ]
        ),
        InvalidDocumentCase(
            name: "prune yes",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              prune: yes
            """#,
            expected: [
                #"11:10: error: spec.prune: found "yes", expected true or false; YAML 1.1 spellings such as yes and on are not booleans here"#,
            ]
        ),
        InvalidDocumentCase(
            name: "unknown provider",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              traffic:
                provider: gatewayapi
            """#,
            expected: [
                #"12:15: error: spec.traffic.provider: found "gatewayapi", expected one of gateway-api, istio, replicas, local; did you mean "gateway-api"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "settings for another provider",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              traffic:
                provider: istio
                gatewayAPI: {route: iris}
            """#,
            expected: [
                #"13:5: error: spec.traffic.gatewayAPI: found gatewayAPI settings, expected none: provider is istio; remove gatewayAPI, or set provider: gateway-api"#,
            ]
        ),
        InvalidDocumentCase(
            name: "unknown strategy",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                strategy: bluegreen
            """#,
            expected: [
                #"12:15: error: spec.rollout.strategy: found "bluegreen", expected one of canary, blueGreen, recreate; did you mean "blueGreen"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "steps not increasing",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: [10, 50, 25, 100]
            """#,
            expected: [
                #"12:21: error: spec.rollout.steps[2]: found 25, expected a step above the previous one (50); steps must increase strictly"#,
            ]
        ),
        InvalidDocumentCase(
            name: "steps not ending at 100",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: [10, 25, 50]
            """#,
            expected: [
                #"12:21: error: spec.rollout.steps[2]: found 50, expected the last step to be 100, when all traffic moves to the new version; append 100"#,
            ]
        ),
        InvalidDocumentCase(
            name: "step with percent sign",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: [10%, 50%, 100%]
            """#,
            expected: [
                #"12:13: error: spec.rollout.steps[0]: found "10%", expected a whole percentage from 1 to 100; write 10 without the '%'"#,
            ]
        ),
        InvalidDocumentCase(
            name: "step as fraction",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: [0.1, 0.5, 1]
            """#,
            expected: [
                #"12:13: error: spec.rollout.steps[0]: found 0.1, expected a whole percentage from 1 to 100; steps are percentages: did you mean 10?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "step over 100",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: [50, 150]
            """#,
            expected: [
                #"12:17: error: spec.rollout.steps[1]: found 150, expected a whole percentage from 1 to 100"#,
            ]
        ),
        InvalidDocumentCase(
            name: "empty steps",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: []
            """#,
            expected: [
                #"12:12: error: spec.rollout.steps: found an empty list, expected at least one step, the last being 100"#,
            ]
        ),
        InvalidDocumentCase(
            name: "steps with blueGreen",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                strategy: blueGreen
                steps: [10, 100]
            """#,
            expected: [
                #"13:5: error: spec.rollout.steps: found steps, expected none: steps apply only to the canary strategy, and strategy is blueGreen; remove steps, or set strategy: canary"#,
            ]
        ),
        InvalidDocumentCase(
            name: "interval without unit",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                interval: 30
            """#,
            expected: [
                #"12:15: error: spec.rollout.interval: found 30, expected a duration such as 30s, 5m or 1h30m; add a unit: 30s for seconds"#,
            ]
        ),
        InvalidDocumentCase(
            name: "interval too short",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                interval: 100ms
            """#,
            expected: [
                #"12:15: error: spec.rollout.interval: found "100ms", expected a duration of at least 1s"#,
            ]
        ),
        InvalidDocumentCase(
            name: "maxFailedChecks zero",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                maxFailedChecks: 0
            """#,
            expected: [
                #"12:22: error: spec.rollout.maxFailedChecks: found 0, expected a whole number of checks from 1 to 1000"#,
            ]
        ),
        InvalidDocumentCase(
            name: "negative minRequests",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                minRequests: -5
            """#,
            expected: [
                #"12:18: error: spec.rollout.minRequests: found -5, expected a whole number of requests, 0 or more"#,
            ]
        ),
        InvalidDocumentCase(
            name: "gate with no check",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - name: empty
            """#,
            expected: [
                #"13:9: error: spec.rollout.gates[0]: found a gate with no check, expected exactly one of successRate, latency, prometheus, webhook"#,
            ]
        ),
        InvalidDocumentCase(
            name: "gate with two checks",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - successRate: {min: 0.99}
                    latency: {max: 250ms}
            """#,
            expected: [
                #"14:9: error: spec.rollout.gates[0]: found both successRate and latency in one gate, expected exactly one check per gate; put each check in its own list item"#,
            ]
        ),
        InvalidDocumentCase(
            name: "success rate as percentage",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - successRate: {min: 99}
            """#,
            expected: [
                #"13:28: error: spec.rollout.gates[0].successRate.min: found 99, expected a fraction from 0 to 1; did you mean 0.99? Rates and quantiles are fractions: divide by 100"#,
            ]
        ),
        InvalidDocumentCase(
            name: "latency quantile as percentile",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - latency: {quantile: 99, max: 250ms}
            """#,
            expected: [
                #"13:29: error: spec.rollout.gates[0].latency.quantile: found 99, expected a quantile above 0 and at most 1; did you mean 0.99? Rates and quantiles are fractions: divide by 100"#,
            ]
        ),
        InvalidDocumentCase(
            name: "latency without max",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - latency: {quantile: 0.99}
            """#,
            expected: [
                #"13:18: error: spec.rollout.gates[0].latency: found neither max nor relativeTo, expected max (the highest acceptable latency, e.g. 250ms), relativeTo: stable with maxIncrease, or both"#,
            ]
        ),
        InvalidDocumentCase(
            name: "prometheus without bounds",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - prometheus: {query: 'sum(up)'}
            """#,
            expected: [
                #"13:21: error: spec.rollout.gates[0].prometheus: found neither min nor max, expected at least one bound for the query's value"#,
            ]
        ),
        InvalidDocumentCase(
            name: "prometheus min above max",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - prometheus: {query: 'sum(up)', min: 5, max: 1}
            """#,
            expected: [
                #"13:53: error: spec.rollout.gates[0].prometheus.max: found 1, expected a value no lower than min (5)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "webhook without scheme",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - webhook: {url: smoke-tests/run}
            """#,
            expected: [
                #"13:24: error: spec.rollout.gates[0].webhook.url: found "smoke-tests/run", expected an http:// or https:// URL with a host"#,
            ]
        ),
        InvalidDocumentCase(
            name: "duplicate gate names",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - successRate: {min: 0.99}
                  - successRate: {min: 0.95}
            """#,
            expected: [
                #"14:9: error: spec.rollout.gates[1]: gate name "successRate" is already used by spec.rollout.gates[0] at line 13; give each gate a distinct name"#,
            ]
        ),
        InvalidDocumentCase(
            name: "misspelt gate kind",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - sucessRate: {min: 0.99}
            """#,
            expected: [
                #"13:9: error: spec.rollout.gates[0].sucessRate: unknown field "sucessRate", expected one of name, successRate, latency, prometheus, webhook; did you mean "successRate"?"#,
            ]
        ),
        InvalidDocumentCase(
            name: "gate name given twice",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                gates:
                  - name: a
                    successRate: {name: b, min: 0.9}
            """#,
            expected: [
                #"14:23: error: spec.rollout.gates[0].successRate.name: found a second name, expected the gate's name once; keep either spec.rollout.gates[0].name or spec.rollout.gates[0].successRate.name"#,
            ]
        ),
        InvalidDocumentCase(
            name: "approval not at a step",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              rollout:
                steps: [10, 50, 100]
                approval: {before: 25}
            """#,
            expected: [
                #"13:24: error: spec.rollout.approval.before: found 25, expected one of the steps (10, 50, 100)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "duplicate field",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              replicas: 2
              replicas: 3
            """#,
            expected: [
                #"12:3: error: spec.replicas: duplicate field "replicas", first set at line 11; YAML keeps only one value: remove one of them"#,
            ]
        ),
        InvalidDocumentCase(
            name: "merge key",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              <<: {replicas: 2}
            """#,
            expected: [
                #"11:3: error: spec.<<: unknown field "<<", expected one of model, runtime, replicas, traffic, rollout, prune; YAML merge keys are not supported: write the fields out"#,
            ]
        ),
        InvalidDocumentCase(
            name: "custom tag",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              replicas: !int 2
            """#,
            expected: [
                #"11:13: error: YAML tag !int is not allowed; Serin reads plain YAML only: remove the tag"#,
            ]
        ),
        InvalidDocumentCase(
            name: "python tag",
            yaml: #"""
            !!python/object:os.system
            spec: 1
            """#,
            expected: [
                #"1:1: error: YAML tag !!python/object:os.system is not allowed; Serin reads plain YAML only: remove the tag"#,
            ]
        ),
        InvalidDocumentCase(
            name: "syntax error",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              replicas: [1, 2
            """#,
            expected: [
                #"12:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 11, column 13)"#,
            ]
        ),
        InvalidDocumentCase(
            name: "tab indentation",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
            \#timage: x
            """#,
            expected: [
                #"10:1: error: invalid YAML: found character that cannot start any token (while scanning for the next token at line 10, column 1); indent YAML with spaces, not tabs"#,
            ]
        ),
        InvalidDocumentCase(
            name: "undefined alias",
            yaml: #"""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata:
              name: iris
            spec:
              model:
                version: "1"
                uri: s3://models/iris/1
              runtime:
                image: seldonio/mlserver:1.7.1
              replicas: *count
            """#,
            expected: [
                #"11:13: error: alias *count refers to no anchor defined before it; define &count earlier in the same document"#,
            ]
        ),
    ]
}
