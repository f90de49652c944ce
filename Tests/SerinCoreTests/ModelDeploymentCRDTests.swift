import Foundation
import SerinCore
import Testing

/// The ModelDeployment CRD (manifests/crd/) against the decoder: every document the decoder accepts passes the CRD's
/// schema, and every document of the invalid corpus fails it, except where the decoder's rule is one a schema cannot
/// express (`inexpressible`, each with its reason). The validator is kube-apiserver's checks as far as Python can
/// run them: scripts/python/validate_modeldeployments.py, in the .venv that scripts/install-python.sh makes.
@Suite("The ModelDeployment CRD matches the decoder")
struct ModelDeploymentCRDTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let crd = root.appendingPathComponent("manifests/crd/serin.dev_modeldeployments.yaml")

    /// The decoder's rules, by the invalid corpus's case names, that no CRD schema can hold a document to.
    static let inexpressible: [String: String] = [
        "bad namespace": "metadata.namespace is ObjectMeta, which the API server validates itself (the namespace must exist); a CRD schema may constrain metadata.name only",
        "bad label key": "labels are ObjectMeta, which the API server validates itself; a CRD schema may constrain metadata.name only",
        "bad label value": "labels are ObjectMeta, which the API server validates itself; a CRD schema may constrain metadata.name only",
        "prune yes": "kubectl reads YAML 1.1, where yes is already the boolean true before any schema sees it; Serin reads YAML 1.2 and refuses it",
        "merge key": "kubectl's YAML parser expands merge keys (<<) before the object reaches the API server; Serin refuses them",
        "interval too short": "durations are Serin's strings (30s, 1h30m); comparing one with 1s needs CEL's duration(), which the validator here (cel-python) cannot parse in that notation, so an untested rule would be all the CRD could offer",
        "limit below request": "comparing two quantities (2Gi against 512Mi) needs Kubernetes' CEL quantity library, which the validator here does not have",
        "duplicate gate names": "a gate's name defaults to its check's kind, so the key to keep unique is computed, not a field: list-type map needs the field, and a CEL rule would need the default spelled out for every kind",
    ]

    /// Every document the decoder accepts: the examples, the quickstart (with its @MODELS@ placeholder filled in as
    /// scripts/quickstart.sh does) and the test suite's minimal and complete documents.
    static func validDocuments() throws -> [String: String] {
        var documents = ["minimal document": minimalDocument, "complete document": completeDocument]
        let examples = root.appendingPathComponent("examples/deployments")
        for name in try FileManager.default.contentsOfDirectory(atPath: examples.path) where name.hasSuffix(".yaml") {
            documents["examples/deployments/" + name] = try String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)
        }
        let quickstart = try String(contentsOf: root.appendingPathComponent("examples/quickstart/deployments/iris.yaml"), encoding: .utf8)
        documents["examples/quickstart/deployments/iris.yaml"] = quickstart.replacingOccurrences(of: "@MODELS@", with: "/srv/serin/models")
        return documents
    }

    struct ValidatorFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the validator once over `documents`; the errors found in each, by name.
    static func validate(_ documents: [String: String]) throws -> [String: [String]] {
        let python = root.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw ValidatorFailure(description: "no \(python.path): run scripts/install-python.sh (make test does)")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [root.appendingPathComponent("scripts/python/validate_modeldeployments.py").path, crd.path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: documents))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let verdicts = try JSONSerialization.jsonObject(with: data) as? [String: [String]] else {
            throw ValidatorFailure(description: "the validator failed (\(process.terminationStatus)): \(stderr)")
        }
        return verdicts
    }

    static let invalidVerdicts: Result<[String: [String]], ValidatorFailure> = Result {
        try validate(Dictionary(InvalidDocumentTests.corpus.map { ($0.name, $0.yaml) }, uniquingKeysWith: { first, _ in first }))
    }.mapError { ValidatorFailure(description: "\($0)") }

    static var expressibleCases: [InvalidDocumentCase] {
        InvalidDocumentTests.corpus.filter { inexpressible[$0.name] == nil }
    }

    static var inexpressibleCases: [InvalidDocumentCase] {
        InvalidDocumentTests.corpus.filter { inexpressible[$0.name] != nil }
    }

    @Test func everyDocumentTheDecoderAcceptsPassesTheSchema() throws {
        let documents = try Self.validDocuments()
        for (name, text) in documents {
            #expect(DesiredState.decode([SourceFile(path: "test.yaml", text: text)]).isValid, "the decoder refuses \(name)")
        }
        let verdicts = try Self.validate(documents)
        #expect(verdicts.count == documents.count)
        for (name, errors) in verdicts.sorted(by: { $0.key < $1.key }) {
            #expect(errors.isEmpty, "\(name): \(errors)")
        }
    }

    @Test("an invalid document is refused by the schema where a schema can express the rule", arguments: expressibleCases)
    func invalidDocumentIsRefused(_ example: InvalidDocumentCase) throws {
        let verdicts = try Self.invalidVerdicts.get()
        let errors = try #require(verdicts[example.name])
        #expect(!errors.isEmpty, "the CRD accepts a document the decoder refuses with: \(example.expected)")
    }

    /// Keeps the list of inexpressible rules honest: a rule the schema does enforce must leave the list.
    @Test("a rule listed as inexpressible is indeed not enforced by the schema", arguments: inexpressibleCases)
    func inexpressibleRuleIsNotEnforced(_ example: InvalidDocumentCase) throws {
        let verdicts = try Self.invalidVerdicts.get()
        let errors = try #require(verdicts[example.name])
        #expect(errors.isEmpty, "the schema refuses it (\(errors)): remove \"\(example.name)\" from inexpressible")
    }

    @Test func everyListedRuleNamesACaseOfTheInvalidCorpus() {
        let names = Set(InvalidDocumentTests.corpus.map(\.name))
        #expect(Set(Self.inexpressible.keys).subtracting(names).isEmpty)
    }

    @Test func theSchemaRefusesAValidDocumentWithOneFieldBroken() throws {
        // The validator can fail: the complete document with replicas 0, an unknown field and a step over 100.
        let broken = [
            "replicas": completeDocument.replacingOccurrences(of: "replicas: 3", with: "replicas: 0"),
            "unknown": completeDocument.replacingOccurrences(of: "  prune: true", with: "  pruning: true"),
            "steps": completeDocument.replacingOccurrences(of: "[10, 25, 50, 100]", with: "[10, 25, 50, 101]"),
        ]
        let verdicts = try Self.validate(broken)
        for name in broken.keys {
            #expect(verdicts[name]?.isEmpty == false, "\(name)")
        }
    }

    @Test func theSchemaDefaultsAreSpecDefaults() throws {
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
        process.arguments = [Self.root.appendingPathComponent("scripts/python/validate_modeldeployments.py").path, Self.crd.path, "--defaults"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let found = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        let expected: [String: String] = [
            "spec.replicas": "\(SpecDefaults.replicas)",
            "spec.prune": "\(SpecDefaults.prune)",
            "spec.runtime.port": "\(SpecDefaults.port)",
            "spec.runtime.readinessPath": SpecDefaults.readinessPath,
            "spec.runtime.livenessPath": SpecDefaults.livenessPath,
            "spec.rollout.strategy": SpecDefaults.strategy.rawValue,
            "spec.rollout.interval": SpecDefaults.interval.description,
            "spec.rollout.maxFailedChecks": "\(SpecDefaults.maxFailedChecks)",
            "spec.rollout.maxInconclusiveChecks": "\(SpecDefaults.maxInconclusiveChecks)",
            "spec.rollout.minRequests": "\(SpecDefaults.minRequests)",
            "spec.rollout.progressDeadline": SpecDefaults.progressDeadline.description,
            "spec.rollout.gates[].latency.quantile": "\(SpecDefaults.latencyQuantile)",
            "spec.rollout.gates[].webhook.timeout": SpecDefaults.webhookTimeout.description,
        ]
        #expect(found == expected)
    }
}
