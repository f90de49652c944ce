import PropertyBased
import SerinCore
import Testing

/// Mutated valid documents never crash the decoder: every outcome is either a ModelDeployment that survives a
/// round trip through `--show-defaults`, or errors located inside the file.
@Suite("Mutated documents")
struct MutationPropertyTests {
    /// Fragments that matter to YAML's grammar or to the schema's checks.
    static let vocabulary = [
        ":", ": ", "- ", "  ", "\n", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!custom ", "'", "\"", "#", "---\n",
        "~", "null", "-1", "0", "1e999", "\t", "\u{0}", "é", "99", "0.5", "true", "yes", "%", "{{port}}", "{{nope}}",
        "<<: ", "? ", "|\n", ">-\n", "s3://", "100", "1Gi", "5m", "canary", "successRate", "\u{FEFF}", "\r\n", "\\",
    ]

    enum Operation: CaseIterable { case insert, delete, duplicateLine, dropLine, indentLine, replaceByte }

    /// Applies one mutation chosen by `seed` to `text`.
    static func mutate(_ text: [UInt8], seed: UInt64) -> [UInt8] {
        var bytes = text
        guard !bytes.isEmpty else { return Array(vocabulary[Int(seed % UInt64(vocabulary.count))].utf8) }
        let position = Int(seed % UInt64(bytes.count))
        let operation = Operation.allCases[Int((seed >> 24) % UInt64(Operation.allCases.count))]
        let token = Array(vocabulary[Int((seed >> 32) % UInt64(vocabulary.count))].utf8)
        let lineStart = bytes[..<position].lastIndex(of: 10).map { $0 + 1 } ?? 0
        let lineEnd = bytes[position...].firstIndex(of: 10).map { $0 + 1 } ?? bytes.count
        switch operation {
        case .insert: bytes.insert(contentsOf: token, at: position)
        case .delete: bytes.removeSubrange(position..<min(bytes.count, position + 1 + Int((seed >> 40) % 8)))
        case .duplicateLine: bytes.insert(contentsOf: bytes[lineStart..<lineEnd], at: lineEnd)
        case .dropLine: bytes.removeSubrange(lineStart..<lineEnd)
        case .indentLine: bytes.insert(contentsOf: Array(repeating: 32, count: 1 + Int((seed >> 40) % 4)), at: lineStart)
        case .replaceByte: bytes[position] = UInt8(truncatingIfNeeded: seed >> 48)
        }
        return bytes
    }

    static func checkOutcome(of bytes: [UInt8]) {
        let decoding = DesiredState.decode([SourceFile(path: "mutated.yaml", contents: bytes)])
        // YAML breaks lines at LF, CR (alone or before LF), NEL, LS and PS; counting each separately bounds the lines.
        let text = String(decoding: bytes, as: UTF8.self)
        let lineCount = 1 + text.unicodeScalars.filter { ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains($0) }.count
        for diagnostic in decoding.diagnostics {
            #expect(diagnostic.file == "mutated.yaml")
            #expect((1...lineCount + 1).contains(diagnostic.mark.line), "\(diagnostic)")
            #expect(diagnostic.mark.column >= 1, "\(diagnostic)")
            #expect(!diagnostic.message.isEmpty)
            #expect(!diagnostic.description.contains("\n"), "one line: \(diagnostic)")
        }
        if decoding.isValid {
            for deployment in decoding.state.deployments {
                let written = YAMLWriter.write(deployment.yamlValue)
                let reread = DesiredState.decode([SourceFile(path: "written.yaml", text: written)])
                #expect(reread.errors.isEmpty, "\(reread.errors) in\n\(written)")
                #expect(reread.state.deployments.first == deployment, "round trip changed:\n\(written)")
            }
        }
    }

    @Test func mutatedMinimalDocumentsGiveAValueOrLocatedErrors() async {
        await propertyCheck(count: 400, input: Gen.uint64().array(of: 1...4)) { seeds in
            Self.checkOutcome(of: seeds.reduce(Array(minimalDocument.utf8), Self.mutate))
        }
    }

    @Test func mutatedCompleteDocumentsGiveAValueOrLocatedErrors() async {
        await propertyCheck(count: 400, input: Gen.uint64().array(of: 1...4)) { seeds in
            Self.checkOutcome(of: seeds.reduce(Array(completeDocument.utf8), Self.mutate))
        }
    }

    @Test func randomBytesGiveLocatedErrors() async {
        await propertyCheck(count: 300, input: Gen<UInt8>.value(in: 0...255).array(of: 0...200)) { bytes in
            Self.checkOutcome(of: bytes)
        }
    }
}
