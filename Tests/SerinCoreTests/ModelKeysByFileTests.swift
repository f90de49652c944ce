import SerinCore
import Testing

@Suite("Which model each file's documents name")
struct ModelKeysByFileTests {
    private func keys(_ text: String) -> [String] {
        DesiredState.decodeFile(SourceFile(path: "a.yaml", text: text)).modelKeys.map { $0?.description ?? "unreadable" }
    }

    @Test func aValidDocumentNamesItsKey() {
        #expect(keys(modelDocument("iris")) == ["ml/iris"])
    }

    @Test func anInvalidDocumentStillNamesItsKey() {
        #expect(keys(modelDocument("iris", replicas: -1)) == ["ml/iris"])
    }

    @Test func theNamespaceDefaultsAsInTheSpec() {
        #expect(keys("kind: ModelDeployment\nmetadata: {name: iris}\n") == ["default/iris"])
    }

    @Test func otherKindsAreNotCounted() {
        #expect(keys("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n" + modelDocument("iris")) == ["ml/iris"])
    }

    @Test func documentsThatFailToBeAModelDeploymentCountWithoutAKey() {
        #expect(keys("- a list\n---\nkind: ModelDeploymnet\nmetadata: {name: x}\n---\nmetadata: {name: [y]}\n")
            == ["unreadable", "default/x", "unreadable"])
    }

    @Test func theRepositoryKeepsEachFilesKeys() {
        let decoding = DesiredState.decode([SourceFile(path: "a.yaml", text: modelDocument("a")),
                                            SourceFile(path: "b.yaml", text: "# empty\n")])
        #expect(decoding.modelKeysByFile == ["a.yaml": [DeploymentKey(namespace: "ml", name: "a")], "b.yaml": []])
    }

    @Test func aFileWithAnotherKindBesideOneModelGroupsUnderTheModel() {
        let target = DesiredState.decode([SourceFile(path: "a.yaml", text: modelDocument("iris", replicas: 0)
            + "---\napiVersion: v1\nkind: ConfigMap\n")])
        #expect(Plan(from: repository(), to: target).problemGroups.map(\.subject.description) == ["ml/iris"])
    }
}
