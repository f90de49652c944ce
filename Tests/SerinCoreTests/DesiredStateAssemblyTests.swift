import PropertyBased
import SerinCore
import Testing

@Suite("Incremental assembly")
struct DesiredStateAssemblyTests {
    /// A file with one document per name; a name ending in "!" gives a document of that name with an error.
    static func file(_ path: String, names: [String]) -> DecodedFile {
        let text = names.map { written in
            let name = written.hasSuffix("!") ? String(written.dropLast()) : written
            let version = written.hasSuffix("!") ? "" : "1"
            return """
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata: {name: \(name)}
            spec:
              model: {version: "\(version)", uri: s3://models/\(name)/1}
              runtime: {image: seldonio/mlserver:1.7.1}
            """
        }.joined(separator: "\n---\n")
        return DesiredState.decodeFile(SourceFile(path: path, text: text))
    }

    @Test func aDuplicateDefinitionMovesToTheRemainingFileWhenTheWinnerIsRemoved() {
        var assembly = DesiredStateAssembly([Self.file("a.yaml", names: ["iris"]), Self.file("b.yaml", names: ["iris"])])
        #expect(assembly.decoding.errors.map(\.file) == ["b.yaml"])
        assembly.remove(path: "a.yaml")
        #expect(assembly.decoding.isValid)
        #expect(assembly.decoding.state.entries.values.map(\.file) == ["b.yaml"])
    }

    @Test func aDuplicateOfAnInvalidDefinitionGoesWhenTheInvalidOneIsRemoved() {
        var assembly = DesiredStateAssembly([Self.file("a.yaml", names: ["iris!"]), Self.file("b.yaml", names: ["iris"])])
        #expect(assembly.decoding.errors.map { "\($0.file) \($0.path)" } == ["a.yaml spec.model.version", "b.yaml metadata.name"])
        assembly.remove(path: "a.yaml")
        #expect(assembly.decoding.isValid)
        #expect(assembly.decoding.state.entries.values.map(\.file) == ["b.yaml"])
    }

    /// Any sequence of replacements and removals gives the same result as assembling the final files from scratch,
    /// invalid documents included.
    @Test func incrementalChangesAgreeWithAssemblingFromScratch() async {
        let paths = ["a.yaml", "b.yaml", "c.yaml", "d/e.yaml"]
        let names = ["iris", "fraud", "churn", "iris!"]
        let operation = Gen.int(in: 0...(paths.count * 16 - 1))
        await propertyCheck(count: 300, input: operation.array(of: 1...12)) { operations in
            var assembly = DesiredStateAssembly()
            var current: [String: DecodedFile] = [:]
            for code in operations {
                let path = paths[code % paths.count]
                let choice = code / paths.count
                if choice == 0 {
                    assembly.remove(path: path)
                    current[path] = nil
                } else {
                    let chosen = names.enumerated().filter { (choice >> $0.offset) & 1 == 1 }.map(\.element)
                    let file = Self.file(path, names: chosen.isEmpty ? ["solo"] : chosen)
                    assembly.replace(file)
                    current[path] = file
                }
            }
            #expect(assembly.decoding == DesiredState.assemble(Array(current.values)))
        }
    }
}
