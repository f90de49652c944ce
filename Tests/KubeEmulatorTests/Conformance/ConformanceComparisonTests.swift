import SerinCore
import Testing

/// The comparison rules one at a time: each test feeds the recorded answer next to an edited one and expects the
/// difference named, or, for a value that differs per run, no difference. `ConformanceFaultTests` shows the same
/// end to end, against an emulator with a deliberate bug.
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

    @Test func theServersCurrentResourceVersionInAMessageIsNotADifference() throws {
        let expected = try #require(try recorded("list-rv-too-large").response.body)
        var rerun = expected
        rerun["message"] = "Timeout: Too large resource version: 999999999, current: 31"
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareDocuments(expected, rerun)
        #expect(comparison.differences.isEmpty)
    }

    @Test func otherNumbersInAMessageAreCompared() throws {
        let expected = try #require(try recorded("list-rv-too-large").response.body)
        var broken = expected
        broken["message"] = "Timeout: Too large resource version: 99999, current: 219"
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareDocuments(expected, broken)
        #expect(comparison.differences.count == 1)
    }

    @Test func aMissingBookmarkIsNoticed() throws {
        let stream = try #require(try recorded("watch-from-list-rv").response.stream)
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareWatch(stream, stream.filter { $0["type"]?.stringValue != "BOOKMARK" })
        #expect(comparison.differences.count == 1)
    }

    private func coordinationDiscoveryWithoutResources() throws -> (recorded: JSONValue, actual: JSONValue) {
        let expected = try #require(try recorded("discovery-resources /apis/coordination.k8s.io/v1").response.body)
        var without = expected
        without["resources"] = []
        return (expected, without)
    }

    @Test func aDiscoveryResourceMissingFromTheEmulatorIsADifference() throws {
        let (expected, actual) = try coordinationDiscoveryWithoutResources()
        var comparison = ConformanceComparison(identities: RunIdentities())
        comparison.compareDocuments(expected, actual)
        #expect(comparison.differences.count == 1)
    }

    @Test func aDiscoveryResourceMissingFromTheEmulatorIsAllowedInACaseListedAsADiscoverySubset() throws {
        let (expected, actual) = try coordinationDiscoveryWithoutResources()
        var comparison = ConformanceComparison(identities: RunIdentities(), divergence: .discoverySubset(reason: "a test"))
        comparison.compareDocuments(expected, actual)
        #expect(comparison.differences.isEmpty)
    }
}
