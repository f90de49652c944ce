import SerinCore
import Testing

@Suite("Durations")
struct SpecDurationTests {
    @Test(arguments: [("30s", 30_000), ("5m", 300_000), ("1h30m", 5_400_000), ("250ms", 250), ("1.5m", 90_000), ("0s", 0)])
    func parses(_ text: String, _ milliseconds: Int64) {
        #expect(SpecDuration(parsing: text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "30", "s", "5 m", "1d", "-5s", "1.2.3s", "0.1ms", "ms5", "9999999h"])
    func rejects(_ text: String) {
        #expect(SpecDuration(parsing: text) == nil)
    }

    @Test func printsCanonically() {
        #expect(SpecDuration(milliseconds: 90_000).description == "1m30s")
        #expect(SpecDuration(milliseconds: 250).description == "250ms")
        #expect(SpecDuration(milliseconds: 3_600_500).description == "1h500ms")
    }
}

@Suite("Quantities")
struct QuantityTests {
    @Test(arguments: [("500m", 0.5), ("2", 2), ("1.5", 1.5), ("2Gi", 2_147_483_648), ("512Mi", 536_870_912), ("1k", 1_000), ("1e3", 1_000), ("5E-1", 0.5)])
    func parses(_ text: String, _ value: Double) {
        #expect(Quantity(parsing: text)?.value == value)
    }

    @Test(arguments: ["", "one", "2GB", "-1", "1..5", "Gi", "2 Gi", "1e", "1e99"])
    func rejects(_ text: String) {
        #expect(Quantity(parsing: text) == nil)
    }
}

@Suite("Names and references")
struct NameTests {
    @Test(arguments: ["iris", "fraud-detector", "a", "a1", String(repeating: "a", count: 63)])
    func acceptsDNSLabels(_ name: String) {
        #expect(Names.dnsLabelProblem(name) == nil)
    }

    @Test(arguments: ["", "Iris", "-iris", "iris-", "iris.v1", "iris_v1", String(repeating: "a", count: 64)])
    func rejectsNonDNSLabels(_ name: String) {
        #expect(Names.dnsLabelProblem(name) != nil)
    }

    @Test(arguments: ["seldonio/mlserver:1.7.1", "docker.io/seldonio/mlserver:1.7.1", "localhost:5000/model", "nginx",
                      "registry.example.com/a/b/c@sha256:" + String(repeating: "a", count: 64)])
    func acceptsImageReferences(_ image: String) {
        #expect(Names.imageReferenceProblem(image) == nil)
    }

    @Test(arguments: ["", "SeldonIO/mlserver", "mlserver:", "mlserver:bad tag", "a//b", "mlserver@sha256:abc"])
    func rejectsImageReferences(_ image: String) {
        #expect(Names.imageReferenceProblem(image) != nil)
    }

    @Test(arguments: ["app", "app.kubernetes.io/name", "serin.dev/owner", "a_b.c-d"])
    func acceptsQualifiedNames(_ key: String) {
        #expect(Names.qualifiedNameProblem(key) == nil)
    }

    @Test(arguments: ["", "a/b/c", "Bad_Prefix/x", "-a", "team name"])
    func rejectsQualifiedNames(_ key: String) {
        #expect(Names.qualifiedNameProblem(key) != nil)
    }

    @Test(arguments: [("s3://models/iris/1", true), ("gs://bucket/x", true), ("https://models.example.com/x", true),
                      ("file:///srv/models/iris", true), ("hf://org/model", true), ("pvc://models-claim/iris", true),
                      ("hf://model", false), ("pvc://claim", false), ("https://user:pw@host/x", false), ("s3://ab/x", false),
                      ("file:///", false), ("s3://models/iris 1", false), ("s3://models/\u{FEFF}iris", false),
                      ("s3://models/modèle", false)])
    func checksModelURIs(_ uri: String, _ valid: Bool) {
        #expect(((try? ModelURI.parse(uri).get()) != nil) == valid)
    }

    @Test func aFileURIsPathIsPercentDecodedAndOtherSchemesHaveNone() throws {
        #expect(try ModelURI.parse("file:///srv/models/iris%20v2/model.json").get().filePath == "/srv/models/iris v2/model.json")
        #expect(try ModelURI.parse("file:///srv/100%25/x%zz%+1").get().filePath == "/srv/100%/x%zz%+1")
        #expect(try ModelURI.parse("s3://models/iris/1").get().filePath == nil)
    }

    @Test func digestsAreSHA256InLowercaseHex() {
        #expect(ArtifactDigest(parsing: "sha256:" + String(repeating: "0f", count: 32)) != nil)
        #expect(ArtifactDigest(parsing: "sha256:" + String(repeating: "0F", count: 32)) == nil)
        #expect(ArtifactDigest(parsing: "md5:" + String(repeating: "0", count: 32)) == nil)
        #expect(ArtifactDigest(parsing: "sha256:" + String(repeating: "\u{FF10}", count: 64)) == nil)
    }
}

@Suite("Suggestions")
struct SuggestionTests {
    @Test(arguments: [("rolout", "rollout"), ("max_failed_checks", "maxFailedChecks"), ("gatewayApi", "gatewayAPI"),
                      ("sucessRate", "successRate"), ("stpes", "steps")])
    func suggestsTheIntendedWord(_ typo: String, _ intended: String) {
        let candidates = ["rollout", "maxFailedChecks", "gatewayAPI", "successRate", "steps", "strategy", "replicas"]
        #expect(Suggestion.closest(to: typo, in: candidates) == intended)
    }

    @Test func suggestsNothingForUnrelatedWords() {
        #expect(Suggestion.closest(to: "colour", in: ["rollout", "replicas", "prune"]) == nil)
    }
}

@Suite("Runtime templates")
struct RuntimeTemplateTests {
    static let model: ModelSource = {
        let decoding = decode(minimalDocument)
        return decoding.state.deployments[0].spec.model
    }()

    @Test func placeholdersAreFilledPerVersion() {
        #expect(RuntimeTemplate.render("--port={{port}} --name {{ model.name }}:{{model.version}} {{model.uri}}", model: Self.model, port: 9001)
            == "--port=9001 --name iris:1 s3://models/iris/1")
    }

    @Test func textWithoutPlaceholdersAndUnknownOnesStayAsWritten() {
        #expect(RuntimeTemplate.render("mlserver start .", model: Self.model, port: 1) == "mlserver start .")
        #expect(RuntimeTemplate.render("{{other}} {{port", model: Self.model, port: 1) == "{{other}} {{port")
    }

    @Test func placeholdersAreListedByNameInOrder() {
        #expect(RuntimeTemplate.placeholders(in: "--model={{ model.uri }} --port {{port}} {{other}} {{port") == ["model.uri", "port", "other"])
        #expect(RuntimeTemplate.placeholders(in: "mlserver start .").isEmpty)
    }
}
