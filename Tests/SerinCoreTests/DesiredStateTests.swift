import SerinCore
import Testing

@Suite("A repository decodes as a whole")
struct DesiredStateTests {
    private func document(name: String, namespace: String = "ml") -> String {
        """
        apiVersion: serin.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: \(name), namespace: \(namespace)}
        spec:
          model: {version: "1", uri: s3://models/\(name)/1}
          runtime: {image: seldonio/mlserver:1.7.1}

        """
    }

    @Test func severalDocumentsInOneFileAreAllRead() {
        let decoding = decode(document(name: "a") + "---\n" + document(name: "b") + "---\n")
        #expect(decoding.isValid)
        #expect(decoding.state.deployments.map(\.metadata.name) == ["a", "b"])
    }

    @Test func emptyDocumentsAndCommentOnlyFilesAreSkipped() {
        let decoding = DesiredState.decode([
            SourceFile(path: "a.yaml", text: "---\n---\n" + document(name: "a")),
            SourceFile(path: "notes.yaml", text: "# nothing here yet\n"),
            SourceFile(path: "empty.yaml", text: ""),
        ])
        #expect(decoding.diagnostics.isEmpty)
        #expect(decoding.state.entries.count == 1)
    }

    @Test func sameNamespaceAndNameTwiceNamesBothPlaces() {
        let decoding = DesiredState.decode([
            SourceFile(path: "deployments/a.yaml", text: document(name: "iris")),
            SourceFile(path: "deployments/b.yaml", text: "# copy\n" + document(name: "iris")),
        ])
        #expect(decoding.diagnostics.map(\.description) == [
            "deployments/b.yaml:2:1: error: metadata.name: ModelDeployment ml/iris is defined twice: here and at deployments/a.yaml:1:1; each namespace/name may be defined once; rename or remove one",
        ])
    }

    @Test func aSecondDefinitionBesideAnInvalidOneIsReportedInTheSameRun() {
        let decoding = DesiredState.decode([
            SourceFile(path: "deployments/a.yaml", text: document(name: "iris").replacingFirst("s3://", with: "ftp://")),
            SourceFile(path: "deployments/b.yaml", text: "# copy\n" + document(name: "iris")),
        ])
        #expect(decoding.diagnostics.map(\.description) == [
            "deployments/a.yaml:5:30: error: spec.model.uri: found \"ftp://models/iris/1\", expected a URI starting with one of s3://, gs://, https://, file://, hf://, pvc://",
            "deployments/b.yaml:2:1: error: metadata.name: ModelDeployment ml/iris is defined twice: here and at deployments/a.yaml:1:1; each namespace/name may be defined once; rename or remove one",
        ])
    }

    @Test func anInvalidSecondDefinitionGetsBothItsOwnErrorsAndTheDuplicateError() {
        let decoding = decode(document(name: "iris") + "---\n" + document(name: "iris").replacingFirst("version: \"1\"", with: "version: \"\""))
        #expect(decoding.diagnostics.map(located) == [
            "8:1: error: metadata.name: ModelDeployment ml/iris is defined twice: here and at test.yaml:1:1; each namespace/name may be defined once; rename or remove one",
            #"12:20: error: spec.model.version: found the string "", expected a version of at most 63 letters, digits, '-', '_', '.' or '+', starting with a letter or digit"#,
        ])
        #expect(decoding.state.entries.values.map(\.mark.line) == [1])
    }

    @Test func anInvalidDocumentAloneIsNoDuplicate() {
        let decoding = decode(document(name: "iris").replacingFirst("s3://", with: "ftp://") + "---\n" + document(name: "fraud"))
        #expect(decoding.errors.map(\.path.description) == ["spec.model.uri"])
    }

    @Test func sameNameInAnotherNamespaceIsADifferentDeployment() {
        let decoding = decode(document(name: "iris", namespace: "a") + "---\n" + document(name: "iris", namespace: "b"))
        #expect(decoding.isValid)
        #expect(decoding.state.entries.keys.sorted().map(\.description) == ["a/iris", "b/iris"])
    }

    @Test func otherKindsAreReportedAsSkipped() {
        let decoding = decode(document(name: "a") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n")
        #expect(decoding.isValid)
        #expect(decoding.state.entries.count == 1)
        #expect(decoding.diagnostics.map(located) == [
            "9:7: warning: kind: skipped: kind ConfigMap (v1) is not a Serin kind; Serin applies only ModelDeployment (serin.dev/v1alpha1); move other manifests out of the deployments root",
        ])
    }

    @Test func everyErrorInEveryFileIsReportedInOneRun() {
        let decoding = DesiredState.decode([
            SourceFile(path: "a.yaml", text: document(name: "a").replacingFirst("version: \"1\"", with: "version: \"\"")
                + "---\n" + document(name: "Bad")),
            SourceFile(path: "b.yaml", text: document(name: "b").replacingFirst("s3://", with: "ftp://")),
        ])
        #expect(decoding.errors.map { "\($0.file):\($0.mark.line) \($0.path)" } == [
            "a.yaml:5 spec.model.version",
            "a.yaml:10 metadata.name",
            "b.yaml:5 spec.model.uri",
        ])
        #expect(decoding.state.entries.isEmpty)
    }

    @Test func aSyntaxErrorStillReportsTheDocumentsBeforeIt() {
        let decoding = decode(document(name: "Bad") + "---\nkey: [unclosed\n")
        #expect(decoding.errors.map(\.mark.line) == [3, 9])
    }

    @Test func filesAreReadInPathOrderWhateverTheInputOrder() {
        let files = [SourceFile(path: "z.yaml", text: "kind: Z\n"), SourceFile(path: "a.yaml", text: "kind: A\n")]
        #expect(DesiredState.decode(files).diagnostics.map(\.file) == ["a.yaml", "z.yaml"])
    }

    @Test func manifestsAreRecognisedByExtension() {
        #expect(SourceFile.isManifest("deployments/iris.yaml"))
        #expect(SourceFile.isManifest("deployments/iris.yml"))
        #expect(!SourceFile.isManifest("deployments/README.md"))
        #expect(!SourceFile.isManifest("deployments/iris.yaml.bak"))
    }
}
