import SerinCore
import Testing

@Suite("serin status output")
struct StatusFormatTests {
    /// A model with no rollout in progress, named so that it sorts before the fraud detector.
    private let settled = RolloutStatus(
        key: DeploymentKey(namespace: "ml", name: "iris"), phase: .Succeeded, stableVersion: "4", canaryWeight: 100,
        desiredCommit: desiredSHA, reason: "v4 is the stable version and takes all traffic.\nA second line.",
        startedAt: transitionTime, updatedAt: transitionTime)

    @Test func textPrintsAHeaderAndOneAlignedLinePerModelOrderedByNamespaceAndName() {
        #expect(StatusFormat.text.render([progressingStatus, settled]) == """
        MODEL                   PHASE        STABLE  CANARY  WEIGHT  UPDATED               REASON
        ml/iris                 Succeeded    v4      -       100%    2026-11-29T02:20:52Z  v4 is the stable version and takes all traffic.
        ml-prod/fraud-detector  Progressing  v12     v13     25%     2026-11-29T02:20:52Z  Gates passed for 2m at 10%; moving to 25%.

        """)
    }

    @Test func noModelsPrintNothingInTextAndAnEmptyArrayInJSON() {
        #expect(StatusFormat.text.render([]) == "")
        #expect(StatusFormat.json.render([]) == "[]\n")
    }

    @Test func jsonGivesEveryFieldWithTheWholeReasonAndTheGates() throws {
        let text = StatusFormat.json.render([settled, progressingStatus])
        let models = try #require(try JSONValue(parsing: text).arrayValue)
        #expect(models.count == 2)
        #expect(models[0]["model"] == "ml/iris")
        #expect(models[0]["canaryVersion"] == .null)
        #expect(models[0]["reason"] == "v4 is the stable version and takes all traffic.\nA second line.")
        #expect(models[1]["model"] == "ml-prod/fraud-detector")
        #expect(models[1]["weight"] == 25)
        #expect(models[1]["stepIndex"] == 1)
        #expect(models[1]["startedAt"] == "2026-11-29T02:18:52Z")
        let gates = try #require(models[1]["gates"]?.arrayValue)
        #expect(gates.map { $0["verdict"] } == ["pass", "fail", "inconclusive"])
        #expect(gates[1]["consecutiveFailures"] == 2)
    }
}
