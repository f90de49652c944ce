import KubeEmulator
import Testing

/// The conformance replay must fail against a broken emulator, or its passing proves nothing. Each test starts an
/// emulator with one `ConformanceFault` (a real departure from kube-apiserver), replays every recorded case in order
/// exactly as `EmulatorConformanceTests` does, and expects the first difference at the case that records the
/// behaviour the fault breaks, on the compared value the fault changes.
@Suite("The conformance replay fails against a deliberately broken emulator", .serialized)
struct ConformanceFaultTests {
    /// Each case that differs with its differences, in recorded order.
    private func differingCases(with faults: Set<ConformanceFault>) async throws -> [(name: String, differences: [String])] {
        let session = ConformanceSession(faults: faults)
        let differing = await session.replayAll(try TranscriptCase.all())
        try await session.stop()
        return differing
    }

    @Test func withoutFaultsTheReplayFindsNoDifference() async throws {
        let differing = try await differingCases(with: [])
        #expect(differing.isEmpty, "\(differing.map { "\($0.name): \($0.differences)" })")
    }

    @Test func anEmulatorThatAcceptsStaleUpdatesFailsAtTheStaleUpdateWithItsStatusCode() async throws {
        let first = try #require(try await differingCases(with: [.acceptsStaleUpdates]).first)
        #expect(first.name == "deployment-update-stale-rv")
        #expect(first.differences.first?.hasPrefix("status code: kube-apiserver answered 409, the emulator 200") == true)
    }

    @Test func anEmulatorThatKeepsGenerationOnAnAnnotationChangeFailsAtThatPatchWithItsGeneration() async throws {
        let first = try #require(try await differingCases(with: [.keepsGenerationOnDeploymentAnnotationChange]).first)
        #expect(first.name == "deployment-merge-patch-annotation (generation +1)")
        #expect(first.differences == ["body.metadata.generation: kube-apiserver answered 3, the emulator 2"])
    }

    @Test func anEmulatorThatIgnoresFinalizersFailsAtTheDeleteOfAnObjectWithAFinalizer() async throws {
        let first = try #require(try await differingCases(with: [.ignoresFinalizers]).first)
        #expect(first.name == "configmap-delete-with-finalizer (kept, deletionTimestamp set)")
        #expect(first.differences.contains { $0.hasPrefix("body.kind: kube-apiserver answered \"ConfigMap\"") })
    }

    @Test func anEmulatorThatOmitsAWatchsInitialEventsFailsAtTheWatchWithoutResourceVersion() async throws {
        let first = try #require(try await differingCases(with: [.omitsInitialWatchEvents]).first)
        #expect(first.name == "watch-without-rv")
        #expect(first.differences.first?.hasPrefix("watch events: kube-apiserver answered [\"ADDED a generation 5\"]") == true)
    }
}
