import SerinCore
import Testing

@Suite("Approvals read from paths under approvals/")
struct ApprovalsTests {
    @Test func eachFileApprovesOneVersionOfOneModel() {
        let approvals = Approvals(paths: ["ml/iris/2", "ml/iris/3", "prod/fraud/v13"])
        #expect(approvals.versions(of: DeploymentKey(namespace: "ml", name: "iris")) == ["2", "3"])
        #expect(approvals.versions(of: DeploymentKey(namespace: "prod", name: "fraud")) == ["v13"])
        #expect(approvals.versions(of: DeploymentKey(namespace: "ml", name: "fraud")) == [])
        #expect(approvals.ignored.isEmpty)
    }

    @Test func pathsOfAnyOtherShapeAreIgnoredAndReported() {
        let approvals = Approvals(paths: ["README.md", "ml/iris", "ml/iris/2/extra", "ml//2"])
        #expect(approvals.ignored == ["README.md", "ml/iris", "ml/iris/2/extra", "ml//2"])
        #expect(approvals.versions(of: DeploymentKey(namespace: "ml", name: "iris")) == [])
    }

    @Test func thePathThatApprovesAVersion() {
        #expect(Approvals.path(for: DeploymentKey(namespace: "ml", name: "iris"), version: "2") == "approvals/ml/iris/2")
    }
}
