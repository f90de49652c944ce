import SerinCore
import Testing

/// The conformance comparison must be able to fail: each test feeds it the recorded answer next to an answer a
/// broken emulator would give, and expects the difference to be named.
@Suite("The conformance comparison notices a broken emulator")
struct ConformanceComparisonTests {
    private func recorded(_ name: String) throws -> TranscriptCase {
        try #require(try TranscriptCase.all().first { $0.name == name })
    }

    @Test func aGenerationNotBumpedByAnAnnotationChangeIsNoticed() throws {
        let expected = try #require(try recorded("deployment-merge-patch-annotation (generation +1)").response.body)
        var broken = expected
        broken["metadata"]?["generation"] = .integer((expected[path: "metadata", "generation"]?.integerValue ?? 1) - 1)
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareDocuments(expected, broken)
        #expect(comparison.differences.count == 1)
        #expect(comparison.differences.first?.hasPrefix("body.metadata.generation:") == true)
    }

    @Test func aStaleUpdateAnsweredWithTheObjectIsNoticed() throws {
        let stale = try recorded("deployment-update-stale-rv")
        let accepted = try #require(try recorded("deployment-update-spec (generation +1)").response.body)
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareDocuments(try #require(stale.response.body), accepted)
        #expect(comparison.differences.contains { $0.hasPrefix("body.kind:") })
        #expect(comparison.differences.contains { $0.hasPrefix("body.reason:") })
    }

    @Test func aMissingWatchEventIsNoticed() throws {
        let stream = try #require(try recorded("watch-from-list-rv").response.stream)
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareWatch(stream, Array(stream.dropLast(2)))
        #expect(comparison.differences.count == 1)
    }

    @Test func perRunValuesAreNotDifferences() throws {
        let expected = try #require(try recorded("deployment-create").response.body)
        var rerun = expected
        rerun["metadata"]?["uid"] = "00000000-0000-0000-0000-000000000000"
        rerun["metadata"]?["resourceVersion"] = "7"
        rerun["metadata"]?["creationTimestamp"] = "2030-01-01T00:00:00Z"
        rerun["metadata"]?["managedFields"] = nil
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareDocuments(expected, rerun)
        #expect(comparison.differences.isEmpty)
    }
}
