import SerinCore
import Testing

@Suite("Valid documents decode to complete values")
struct ValidDocumentTests {
    @Test func completeDocumentDecodesEveryField() throws {
        let decoding = decode(completeDocument)
        #expect(decoding.diagnostics.isEmpty)
        let deployment = try #require(decoding.state.deployments.first)
        #expect(deployment.key == DeploymentKey(namespace: "ml-prod", name: "fraud-detector"))
        let spec = deployment.spec
        #expect(spec.model.version == "13")
        #expect(spec.model.uri.scheme == .s3)
        #expect(spec.model.format == .sklearn)
        #expect(spec.runtime.image == "docker.io/seldonio/mlserver:1.7.1")
        #expect(spec.runtime.resources.cpu?.value == 1)
        #expect(spec.runtime.resources.memory?.value == Double(2 << 30))
        #expect(spec.replicas == 3)
        #expect(spec.traffic.provider == .gatewayAPI)
        #expect(spec.traffic.gatewayAPI == GatewayAPITraffic(route: "fraud-detector"))
        #expect(spec.rollout.steps == [10, 25, 50, 100])
        #expect(spec.rollout.interval == .minutes(2))
        #expect(spec.rollout.minRequests == 50)
        #expect(spec.rollout.approval == ApprovalSpec(before: 100))
        #expect(spec.rollout.gates == [
            Gate(name: "successRate", check: .successRate(min: 0.99)),
            Gate(name: "latency", check: .latency(quantile: 0.99, max: SpecDuration(milliseconds: 250))),
            Gate(name: "drift", check: .prometheus(query: #"max(model_feature_drift{model="fraud-detector"})"#, min: nil, max: 0.2)),
            Gate(name: "smoke", check: .webhook(url: "http://smoke-tests.ml-prod/run", timeout: .seconds(30), metadata: [:])),
        ])
        #expect(spec.prune)
    }

    @Test func omittedFieldsTakeTheDefaults() throws {
        let deployment = try #require(decode(minimalDocument).state.deployments.first)
        #expect(deployment.metadata.namespace == SpecDefaults.namespace)
        #expect(deployment.spec.model.name == "iris")
        #expect(deployment.spec.replicas == SpecDefaults.replicas)
        #expect(deployment.spec.runtime.port == SpecDefaults.port)
        #expect(deployment.spec.runtime.readinessPath == SpecDefaults.readinessPath)
        #expect(deployment.spec.traffic.provider == nil)
        #expect(deployment.spec.rollout == RolloutSpec())
        #expect(deployment.spec.rollout.steps == [10, 25, 50, 100])
        #expect(deployment.spec.rollout.maxFailedChecks == 2)
        #expect(deployment.spec.rollout.minRequests == 20)
        #expect(deployment.spec.prune)
    }

    @Test func defaultsRoundTripThroughTheWrittenDocument() throws {
        for document in [minimalDocument, completeDocument] {
            let first = try #require(decode(document).state.deployments.first)
            let written = YAMLWriter.write(first.yamlValue)
            let second = decode(written)
            #expect(second.diagnostics.isEmpty, "\(second.diagnostics)")
            #expect(second.state.deployments.first == first)
            #expect(second.state.deployments.first.map { YAMLWriter.write($0.yamlValue) } == written)
        }
    }

    @Test func showDefaultsWritesEveryDefault() throws {
        let deployment = try #require(decode(minimalDocument).state.deployments.first)
        #expect(YAMLWriter.write(deployment.yamlValue) == """
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata:
          name: iris
          namespace: default
        spec:
          model:
            name: iris
            version: "1"
            uri: s3://models/iris/1
          runtime:
            image: seldonio/mlserver:1.7.1
            port: 8080
            readinessPath: /v2/health/ready
            livenessPath: /v2/health/live
          replicas: 1
          traffic: {}
          rollout:
            strategy: canary
            steps: [10, 25, 50, 100]
            interval: 1m
            maxFailedChecks: 2
            maxInconclusiveChecks: 5
            minRequests: 20
            progressDeadline: 10m
            metrics:
              source: serin
            gates: []
          prune: true

        """)
    }

    @Test func writtenStringsWithInvisibleCharactersReadBackUnchanged() {
        let text = "a\u{FEFF}b\u{7}c\u{0}d\u{1F}e\"f\\g\nh"
        let written = YAMLWriter.write(.mapping([("query", .string(text))]))
        #expect(written == #"query: "a\ufeffb\x07c\x00d\x1fe\"f\\g\nh""# + "\n")
        let stream = YAMLReader.read(Array(written.utf8))
        guard case .mapping(let pairs)? = stream.documents.first?.root?.content else {
            Issue.record("not a mapping: \(stream)")
            return
        }
        #expect(pairs.first?.value.scalarText == text)
    }

    @Test func unquotedVersionKeepsItsSpelling() throws {
        let yaml = minimalDocument.replacingFirst(#"version: "1""#, with: "version: 1.10")
        #expect(decode(yaml).state.deployments.first?.spec.model.version == "1.10")
    }

    @Test func nonCanaryStrategiesMoveAllTrafficInOneStep() throws {
        let yaml = minimalDocument + "\n  rollout:\n    strategy: blueGreen\n    approval: {before: 100}\n"
        let rollout = try #require(decode(yaml).state.deployments.first?.spec.rollout)
        #expect(rollout.strategy == .blueGreen)
        #expect(rollout.steps == [100])
        #expect(rollout.approval == ApprovalSpec(before: 100))
    }

    @Test func providerIsInferredFromItsOnlySettings() throws {
        let yaml = minimalDocument + "\n  traffic:\n    istio: {virtualService: iris-vs}\n"
        let traffic = try #require(decode(yaml).state.deployments.first?.spec.traffic)
        #expect(traffic.provider == .istio)
        #expect(traffic.istio == IstioTraffic(virtualService: "iris-vs"))
    }

    @Test func gatewayProviderDefaultsTheRouteToTheDeploymentName() throws {
        let yaml = minimalDocument + "\n  traffic:\n    provider: gateway-api\n"
        #expect(decode(yaml).state.deployments.first?.spec.traffic.gatewayAPI == GatewayAPITraffic(route: "iris"))
    }

    @Test func runtimeTemplatesAcceptTheKnownPlaceholders() throws {
        let yaml = minimalDocument + """

            command: [serve, "--model={{ model.uri }}", "--port={{port}}"]
            env:
              - {name: MODEL_VERSION, value: "{{model.version}}"}
              - {name: MODEL_NAME, value: "{{model.name}}"}
        """
        let runtime = try #require(decode(yaml).state.deployments.first?.spec.runtime)
        #expect(runtime.command == ["serve", "--model={{ model.uri }}", "--port={{port}}"])
        #expect(runtime.env.map(\.name) == ["MODEL_VERSION", "MODEL_NAME"])
    }

    @Test func gateNameMayStandBesideTheCheck() throws {
        let yaml = minimalDocument + "\n  rollout:\n    gates:\n      - name: errors\n        successRate: {min: 0.9}\n"
        #expect(decode(yaml).state.deployments.first?.spec.rollout.gates == [Gate(name: "errors", check: .successRate(min: 0.9))])
    }

    @Test func anchorsAndAliasesWithinBudgetAreResolved() throws {
        let yaml = """
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: a}
        spec:
          model: {version: "1", uri: s3://models/a/1}
          runtime: &runtime {image: seldonio/mlserver:1.7.1}
        ---
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: b}
        spec:
          model: {version: "1", uri: s3://models/b/1}
          runtime: {image: seldonio/mlserver:1.7.1}
        """
        let decoding = decode(yaml)
        #expect(decoding.diagnostics.isEmpty)
        #expect(decoding.state.deployments.map(\.metadata.name) == ["a", "b"])
    }

    @Test func memoryInMillibytesIsWarnedAbout() throws {
        let yaml = minimalDocument + "\n    resources: {memory: 512m}\n"
        let decoding = decode(yaml)
        #expect(decoding.isValid)
        #expect(decoding.warnings.map(located) == [
            "11:25: warning: spec.runtime.resources.memory: 512m is a fraction of one unit; 512m of memory is 0.512 bytes; did you mean 512Mi?",
        ])
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var result = self
        result.replaceSubrange(range, with: replacement)
        return result
    }
}
