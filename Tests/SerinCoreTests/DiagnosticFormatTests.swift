import SerinCore
import Testing

@Suite("Diagnostic formats")
struct DiagnosticFormatTests {
    private let invalid = decode(minimalDocument.replacingFirst("name: iris", with: "name: Iris"))

    @Test func textPrintsOneLinePerProblemThenASummary() {
        #expect(DiagnosticFormat.text.render(invalid, fileCount: 1) == """
        test.yaml:4:9: error: metadata.name: found "Iris", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "iris"?
        1 error in 1 file

        """)
    }

    @Test func textSummarisesAValidRepository() {
        #expect(DiagnosticFormat.text.render(decode(minimalDocument), fileCount: 1) == "1 ModelDeployment valid in 1 file\n")
    }

    @Test func githubPrintsWorkflowCommandsThatAnnotateThePullRequest() {
        let lines = DiagnosticFormat.github.render(invalid, fileCount: 1).split(separator: "\n")
        #expect(lines.first == #"::error file=test.yaml,line=4,col=9::metadata.name: found "Iris", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "iris"?"#)
    }

    @Test func githubEscapesPropertiesAndData() {
        let decoding = DesiredState.decode([SourceFile(path: "a,b:c.yaml", text: "kind: X\napiVersion: \"100%\"\n")])
        #expect(DiagnosticFormat.github.render(decoding, fileCount: 1).hasPrefix("::warning file=a%2Cb%3Ac.yaml,line=1,col=7::kind: skipped: kind X (100%25) is not a Serin kind"))
    }

    @Test func jsonCarriesTheVerdictAndEveryField() {
        #expect(DiagnosticFormat.json.render(invalid, fileCount: 1) == """
        {"valid":false,"files":1,"deployments":[],"diagnostics":[{"severity":"error","file":"test.yaml","line":4,"column":9,"path":"metadata.name","message":"found \\"Iris\\", expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)","hint":"did you mean \\"iris\\"?"}]}

        """)
    }

    @Test func jsonListsValidDeployments() {
        #expect(DiagnosticFormat.json.render(decode(minimalDocument), fileCount: 1) == """
        {"valid":true,"files":1,"deployments":[{"namespace":"default","name":"iris","version":"1","file":"test.yaml","line":1}],"diagnostics":[]}

        """)
    }
}
