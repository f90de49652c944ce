import SerinCore

/// Decodes YAML text as a one-file repository named `test.yaml`.
func decode(_ yaml: String, limits: YAMLLimits = .standard) -> DesiredStateDecoding {
    DesiredState.decode([SourceFile(path: "test.yaml", text: yaml)], limits: limits)
}

/// A diagnostic as the tests compare it: `line:column: severity: summary`.
func located(_ diagnostic: Diagnostic) -> String {
    "\(diagnostic.mark.line):\(diagnostic.mark.column): \(diagnostic.severity.rawValue): \(diagnostic.summary)"
}

let minimalDocument = """
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
"""

/// The complete document of the spec's definition, every section filled in.
let completeDocument = """
apiVersion: serin.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: fraud-detector
  namespace: ml-prod
spec:
  model:
    name: fraud-detector
    version: "13"
    uri: s3://models/fraud-detector/13
    format: sklearn
  runtime:
    image: docker.io/seldonio/mlserver:1.7.1
    port: 8080
    resources: {cpu: "1", memory: 2Gi}
  replicas: 3
  traffic:
    provider: gateway-api
    gatewayAPI: {route: fraud-detector}
  rollout:
    strategy: canary
    steps: [10, 25, 50, 100]
    interval: 2m
    maxFailedChecks: 2
    minRequests: 50
    gates:
      - successRate: {min: 0.99}
      - latency: {quantile: 0.99, max: 250ms}
      - prometheus: {name: drift, query: 'max(model_feature_drift{model="fraud-detector"})', max: 0.2}
      - webhook: {name: smoke, url: "http://smoke-tests.ml-prod/run", timeout: 30s}
    approval: {before: 100}
  prune: true
"""
