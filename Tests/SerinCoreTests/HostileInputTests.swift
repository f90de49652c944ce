import SerinCore
import Testing

/// Hostile input is refused with a clear error, quickly and in bounded memory. The time bound here is loose on
/// purpose (shared, noisy machines): it only catches the unbounded behaviour these inputs provoke in a naive reader,
/// which takes tens of seconds and gigabytes.
@Suite("Hostile input is bounded")
struct HostileInputTests {
    private func decodeQuickly(_ bytes: [UInt8], limits: YAMLLimits = .standard) -> DesiredStateDecoding {
        let clock = ContinuousClock()
        let start = clock.now
        let decoding = DesiredState.decode([SourceFile(path: "hostile.yaml", contents: bytes)], limits: limits)
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        return decoding
    }

    @Test func fileOverOneMebibyteIsRefusedBeforeParsing() {
        let bytes = Array(("# " + String(repeating: "x", count: 1 << 20) + "\n").utf8)
        #expect(decodeQuickly(bytes).diagnostics.map(located) == [
            "1:1: error: file is 1048579 bytes, larger than the 1 MiB (1048576 bytes) limit; split it into several files",
        ])
    }

    @Test func truncatedReadOfALargeFileIsReportedBySize() {
        let file = SourceFile(path: "big.yaml", contents: Array(repeating: UInt8(ascii: "#"), count: 1_024), size: 5 << 20)
        #expect(DesiredState.decode([file]).diagnostics.map(located) == [
            "1:1: error: file is 5 MiB, larger than the 1 MiB limit; split it into several files",
        ])
    }

    @Test func moreThanAThousandDocumentsAreRefused() {
        let bytes = Array(String(repeating: "---\nkind: ConfigMap\n", count: 1_001).utf8)
        let errors = decodeQuickly(bytes).errors.map(located)
        #expect(errors == ["2001:1: error: more than 1000 documents in one file; split the documents over several files"])
    }

    @Test func billionLaughsIsRefusedWithoutExpansion() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1...8 {
            let previous = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
            let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        let errors = decodeQuickly(Array(yaml.utf8)).errors
        #expect(errors.count == 1)
        #expect(errors.first?.message == "the file expands to more than 250000 YAML nodes once aliases are resolved")
        #expect(errors.first?.hint?.contains("billion laughs") == true)
    }

    @Test func deepFlowNestingIsRefusedAtTheLimit() {
        let bytes = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        #expect(decodeQuickly(bytes).errors.map(located) == [
            "1:65: error: nesting deeper than 64 levels; a ModelDeployment needs far fewer; check the indentation",
        ])
    }

    @Test func deepBlockNestingIsRefusedAtTheLimit() {
        var yaml = ""
        for depth in 0..<80 { yaml += String(repeating: " ", count: depth) + "k:\n" }
        #expect(decodeQuickly(Array(yaml.utf8)).errors.map(located) == [
            "65:65: error: nesting deeper than 64 levels; a ModelDeployment needs far fewer; check the indentation",
        ])
    }

    @Test func nestingUpToTheLimitIsAccepted() {
        let bytes = Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)
        let decoding = decodeQuickly(bytes)
        #expect(!decoding.diagnostics.contains { $0.message.contains("nesting") })
    }

    @Test func customTagsAreRefused() {
        let yaml = "apiVersion: serin.dev/v1alpha1\nkind: !!python/object/apply:os.system [\"id\"]\n"
        #expect(decodeQuickly(Array(yaml.utf8)).errors.map(located) == [
            "2:7: error: YAML tag !!python/object/apply:os.system is not allowed; Serin reads plain YAML only: remove the tag",
        ])
    }

    @Test func invalidUTF8IsReportedNotCrashedOn() {
        let decoding = decodeQuickly([0x6B, 0x3A, 0x20, 0xFF, 0xFE, 0x0A])
        #expect(decoding.errors.count == 1)
        #expect(decoding.errors.first?.message.hasPrefix("invalid YAML: ") == true)
    }

    @Test func selfReferencingAliasIsRefused() {
        let yaml = "a: &loop [*loop]\n"
        #expect(decodeQuickly(Array(yaml.utf8)).errors.map(located) == [
            "1:11: error: alias *loop refers to no anchor defined before it; define &loop earlier in the same document",
        ])
    }
}
