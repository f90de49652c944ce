import SerinCore
import Testing

@Suite("Ledger commit messages")
struct LedgerCommitMessageTests {
    private let renderedProgressing = """
    ml-prod/fraud-detector: Progressing 25% (v13)

    Gates passed for 2m at 10%; moving to 25%.

    successRate: 0.995 >= 0.99 pass
    latency p99: 310ms > 250ms fail (2 consecutive)
    drift: no data (inconclusive); the query returned no samples

    Serin-Model: ml-prod/fraud-detector
    Serin-Desired-Commit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
    Serin-Phase: Progressing
    Serin-Weight: 25
    Serin-Version: 13

    """

    private var progressingTrailers: LedgerTrailers {
        LedgerTrailers(key: fraudDetector, desiredCommit: desiredSHA, phase: .Progressing, weight: 25, version: "13")
    }

    @Test func rendersSubjectReasonGatesAndTrailers() {
        #expect(LedgerCommitMessage.render(progressingStatus) == renderedProgressing)
    }

    @Test func theSubjectNamesTheStableVersionWhenThereIsNoCanary() {
        var status = progressingStatus
        status.phase = .Succeeded
        status.canaryVersion = nil
        status.stableVersion = "13"
        status.canaryWeight = 100
        #expect(LedgerCommitMessage.subject(status) == "ml-prod/fraud-detector: Succeeded 100% (v13)")
    }

    @Test func theSubjectHasNoVersionBeforeThereIsOne() {
        let status = RolloutStatus(key: fraudDetector, phase: .Pending, desiredCommit: desiredSHA,
                                   startedAt: transitionTime, updatedAt: transitionTime)
        #expect(LedgerCommitMessage.render(status) == """
        ml-prod/fraud-detector: Pending 0%

        Serin-Model: ml-prod/fraud-detector
        Serin-Desired-Commit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
        Serin-Phase: Pending
        Serin-Weight: 0

        """)
    }

    /// Reconciles once and returns the subject of the transition, against the status recorded before it.
    private func nextSubject(_ simulation: inout RolloutSimulation) -> String? {
        let recorded = simulation.status
        guard simulation.reconcile().isTransition, let status = simulation.status else { return nil }
        return LedgerCommitMessage.subject(status, after: recorded)
    }

    @Test func aCheckThatHoldsTheCanaryNamesTheGatesThatHeldItInTheSubject() {
        var simulation = establishedSimulation(rolloutDeployment(gates: ["successRate: {min: 0.99}", "latency: {max: 250ms}"]))
        simulation.startRollout()
        simulation.verdicts = ["successRate": .fail, "latency": .inconclusive]
        simulation.advance(seconds: 60)
        #expect(nextSubject(&simulation) == "ml/iris: Progressing 10% (v2), held: successRate fail, latency p99 inconclusive")
    }

    @Test func eachCheckThatHoldsTheCanaryAgainSaysSo() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.verdicts["successRate"] = .inconclusive
        simulation.advance(seconds: 60)
        #expect(nextSubject(&simulation) == "ml/iris: Progressing 10% (v2), held: successRate inconclusive")
        simulation.advance(seconds: 60)
        #expect(nextSubject(&simulation) == "ml/iris: Progressing 10% (v2), held: successRate inconclusive")
    }

    @Test func anIntervalThatStartsOverWithNoCheckSaysSoInTheSubjectEvenAfterAHold() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.reconcile()
        simulation.advance(seconds: 30)
        simulation.workloads = [:]
        #expect(nextSubject(&simulation) == "ml/iris: Progressing 10% (v2), check restarted")
    }

    @Test func aTransitionThatMovesTheCanaryHasThePlainSubject() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.reconcile()
        simulation.verdicts = [:]
        simulation.advance(seconds: 60)
        #expect(nextSubject(&simulation) == "ml/iris: Progressing 50% (v2)")
    }

    @Test func theFirstTransitionOfARolloutHasThePlainSubject() {
        var simulation = establishedSimulation(rolloutDeployment())
        #expect(nextSubject(&simulation) == "ml/iris: Pending 0% (v2)")
    }

    @Test(arguments: [("13", "v13"), ("1.10", "v1.10"), ("v13", "v13"), ("canary-b", "canary-b")])
    func prefixesVersionsStartingWithADigit(_ version: String, _ shown: String) {
        #expect(LedgerCommitMessage.displayVersion(version) == shown)
    }

    @Test func statesEachGateVerdictWithItsEvidence() {
        let lines = [
            GateResult(name: "successRate", verdict: .fail, value: 0.95, threshold: ">= 0.99", consecutiveFailures: 1),
            GateResult(name: "drift", verdict: .pass, value: 0.15, threshold: "within 0.1..0.2"),
            GateResult(name: "drift", verdict: .fail, value: 0.25, threshold: "within 0.1..0.2"),
            GateResult(name: "smoke", verdict: .pass, value: nil, threshold: "2xx within 30s"),
            GateResult(name: "smoke", verdict: .fail, value: nil, threshold: "2xx within 30s", message: "HTTP 503",
                       consecutiveFailures: 3),
            GateResult(name: "custom", verdict: .fail, value: 7, threshold: "odd"),
            GateResult(name: "successRate", verdict: .inconclusive, value: 1, threshold: ">= 0.99",
                       message: "12 requests, fewer than 20"),
        ].map(LedgerCommitMessage.gateLine)
        #expect(lines == [
            "successRate: 0.95 < 0.99 fail",
            "drift: 0.15 within 0.1..0.2 pass",
            "drift: 0.25 outside 0.1..0.2 fail",
            "smoke: pass",
            "smoke: fail (3 consecutive); HTTP 503",
            "custom: 7 vs odd fail",
            "successRate: 1 (inconclusive); 12 requests, fewer than 20",
        ])
    }

    @Test func leavesNoTrailingWhitespaceAndKeepsTheReasonOffTheTrailers() {
        var status = progressingStatus
        status.reason = "\n  \nRolled back: latency p99 above 250ms.  \r\n\r\n\r\n\tSee the dashboard.\t\n\n"
        status.gates = []
        let message = LedgerCommitMessage.render(status)
        #expect(message.hasPrefix("""
        ml-prod/fraud-detector: Progressing 25% (v13)

        Rolled back: latency p99 above 250ms.

        \tSee the dashboard.

        Serin-Model:
        """))
        #expect(!message.split(separator: "\n").contains { $0.last?.isWhitespace == true })
        #expect(message.hasSuffix("Serin-Version: 13\n"))
        #expect(LedgerCommitMessage.parse(message) == progressingTrailers)
    }

    @Test func parsesItsOwnTrailers() {
        #expect(LedgerCommitMessage.parse(renderedProgressing) == progressingTrailers)
    }

    @Test func parsesAMessageWithCRLFLineEnds() {
        #expect(LedgerCommitMessage.parse(renderedProgressing.replacing("\n", with: "\r\n")) == progressingTrailers)
    }

    @Test func parsesAmongOtherTrailersInAnyCase() {
        let message = """
        ml-prod/fraud-detector: Progressing 25% (v13)

        Signed-off-by: Serin <serin@example.com>
        serin-model:   ml-prod/fraud-detector
        SERIN-DESIRED-COMMIT: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
        Serin-Phase: Progressing
        Serin-Weight: 25
        Serin-Version: 13
        Co-authored-by: Someone <someone@example.com>
        """
        #expect(LedgerCommitMessage.parse(message) == progressingTrailers)
    }

    @Test func readsOnlyTheLastParagraphAsTrailers() {
        let message = """
        ml-prod/fraud-detector: Failed 0% (v13)

        Serin-Model: ml-prod/other
        Serin-Phase: Succeeded
        Note: the body may contain colons, even Serin-Weight: 99.

        Serin-Model: ml-prod/fraud-detector
        Serin-Desired-Commit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
        Serin-Phase: Failed
        Serin-Weight: 0
        Serin-Version: 13

        """
        #expect(LedgerCommitMessage.parse(message) == LedgerTrailers(
            key: fraudDetector, desiredCommit: desiredSHA, phase: .Failed, weight: 0, version: "13"))
    }

    @Test func aMessageWithoutAVersionTrailerHasNoVersion() {
        let message = renderedProgressing.replacingFirst("Serin-Version: 13\n", with: "")
        #expect(LedgerCommitMessage.parse(message)?.version == nil)
    }

    @Test(arguments: [
        "Merge branch 'main' into status\n",
        "Update README\n\nSigned-off-by: Someone <someone@example.com>\n",
        "Serin-Model: ml-prod/fraud-detector\nSerin-Desired-Commit: 1a2b3c4\nSerin-Phase: Progressing\nSerin-Weight: 25\n",
        "",
    ])
    func isNilForCommitsThatAreNotLedgerCommits(_ message: String) {
        #expect(LedgerCommitMessage.parse(message) == nil)
    }

    @Test(arguments: [
        ("Serin-Phase: Progressing", "Serin-Phase: progressing"),
        ("Serin-Weight: 25", "Serin-Weight: 250"),
        ("Serin-Weight: 25", "Serin-Weight: 25%"),
        ("Serin-Model: ml-prod/fraud-detector", "Serin-Model: fraud-detector"),
        ("Serin-Desired-Commit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b\n", ""),
    ])
    func isNilWhenASerinTrailerIsMissingOrMalformed(_ original: String, _ replacement: String) {
        #expect(LedgerCommitMessage.parse(renderedProgressing.replacingFirst(original, with: replacement)) == nil)
    }
}

@Suite("Rollout history")
struct HistoryFormatTests {
    private let entries = [
        HistoryEntry(time: Timestamp(millisecondsSinceEpoch: 1_795_919_092_000), phase: .AwaitingApproval, weight: 50,
                     version: "13", desiredCommit: desiredSHA, commit: "c3",
                     gates: [GateResult(name: "successRate", verdict: .pass, value: 0.997, threshold: ">= 0.99")],
                     message: "Waiting for approval before 100%."),
        HistoryEntry(commit: "c2", status: progressingStatus),
        HistoryEntry(time: Timestamp(millisecondsSinceEpoch: 1_795_918_732_000), phase: .Pending, weight: 0, version: nil,
                     desiredCommit: desiredSHA, commit: "c1"),
    ]

    @Test func textPrintsOneAlignedLinePerTransitionOldestFirst() {
        #expect(HistoryFormat.text.render(entries) == """
        2026-11-29T02:18:52Z  Pending            0%  -    desired 1a2b3c4
        2026-11-29T02:20:52Z  Progressing       25%  v13  desired 1a2b3c4  successRate=0.995 latency=310ms(fail) drift=inconclusive
        2026-11-29T02:24:52Z  AwaitingApproval  50%  v13  desired 1a2b3c4  successRate=0.997

        """)
    }

    @Test func textOfOneEntryMatchesTheDocumentedExample() {
        var status = progressingStatus
        status.gates = [GateResult(name: "successRate", verdict: .pass, value: 0.995, threshold: ">= 0.99"),
                        GateResult(name: "latency", statistic: "p99", verdict: .pass, value: 180, unit: "ms", threshold: "<= 250ms")]
        #expect(HistoryFormat.text.render([HistoryEntry(commit: "c2", status: status)])
            == "2026-11-29T02:20:52Z  Progressing  25%  v13  desired 1a2b3c4  successRate=0.995 latency=180ms\n")
    }

    @Test func wideGivesEachTransitionsReasonIndentedBelowIt() {
        #expect(HistoryFormat.wide.render(Array(entries.prefix(2))) == """
        2026-11-29T02:20:52Z  Progressing       25%  v13  desired 1a2b3c4  successRate=0.995 latency=310ms(fail) drift=inconclusive
            Gates passed for 2m at 10%; moving to 25%.
        2026-11-29T02:24:52Z  AwaitingApproval  50%  v13  desired 1a2b3c4  successRate=0.997
            Waiting for approval before 100%.

        """)
    }

    @Test func textMarksEachGateThatDidNotPassWithItsVerdict() {
        let entry = HistoryEntry(time: transitionTime, phase: .Progressing, weight: 20, version: "3", desiredCommit: "a",
                                 commit: "1", gates: [
                                     GateResult(name: "readiness", verdict: .pass, value: nil, threshold: "ready"),
                                     GateResult(name: "successRate", verdict: .fail, value: 0.72, threshold: ">= 0.95"),
                                     GateResult(name: "accuracy", verdict: .inconclusive, value: 0.9, threshold: ">= 0.8"),
                                     GateResult(name: "drift", verdict: .inconclusive, value: nil, threshold: "<= 0.2"),
                                 ])
        #expect(HistoryFormat.text.render([entry]).hasSuffix(
            "readiness=pass successRate=0.72(fail) accuracy=0.9(inconclusive) drift=inconclusive\n"))
    }

    @Test func wideLeavesNoLineForAnEntryWithoutAReason() {
        #expect(HistoryFormat.wide.render([entries[2]]) == HistoryFormat.text.render([entries[2]]))
    }

    @Test func entriesAtTheSameTimeKeepTheirOrder() {
        let first = HistoryEntry(time: transitionTime, phase: .RollingBack, weight: 0, version: "13", desiredCommit: "a", commit: "1")
        let second = HistoryEntry(time: transitionTime, phase: .Failed, weight: 0, version: "13", desiredCommit: "a", commit: "2")
        #expect(HistoryFormat.text.render([first, second]).split(separator: "\n").map { $0.contains("RollingBack") } == [true, false])
    }

    @Test func theLastTransitionsArePrintedOldestFirstAfterANoteOfHowManyCameBefore() {
        #expect(HistoryFormat.text.render(entries, last: 2) == """
        … 1 earlier transition (all of them: without --last)
        2026-11-29T02:20:52Z  Progressing       25%  v13  desired 1a2b3c4  successRate=0.995 latency=310ms(fail) drift=inconclusive
        2026-11-29T02:24:52Z  AwaitingApproval  50%  v13  desired 1a2b3c4  successRate=0.997

        """)
    }

    @Test func askingForMoreTransitionsThanThereAreLeavesOutNothing() {
        #expect(HistoryFormat.text.render(entries, last: 10) == HistoryFormat.text.render(entries))
    }

    @Test func theLastTransitionsInJSONAreTheArrayAlone() {
        #expect(HistoryFormat.json.render(entries, last: 2) == HistoryFormat.json.render(Array(entries.prefix(2))))
    }

    @Test func noHistoryPrintsNothingInTextAndAnEmptyArrayInJSON() {
        #expect(HistoryFormat.text.render([]) == "")
        #expect(HistoryFormat.json.render([]) == "[]\n")
    }

    @Test func jsonIsAnArrayOldestFirstWithEveryField() {
        #expect(HistoryFormat.json.render(Array(entries.prefix(2))) == #"""
        [{"time":"2026-11-29T02:20:52Z","phase":"Progressing","weight":25,"version":"13","desiredCommit":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b","commit":"c2","message":"Gates passed for 2m at 10%; moving to 25%.","gates":[{"name":"successRate","verdict":"pass","value":0.995,"unit":null,"statistic":null,"threshold":">= 0.99","query":null,"message":null,"consecutiveFailures":0},{"name":"latency","verdict":"fail","value":310,"unit":"ms","statistic":"p99","threshold":"<= 250ms","query":null,"message":null,"consecutiveFailures":2},{"name":"drift","verdict":"inconclusive","value":null,"unit":null,"statistic":null,"threshold":"<= 0.2","query":"max(model_feature_drift{model=\"fraud-detector\"})","message":"the query returned no samples","consecutiveFailures":0}]},{"time":"2026-11-29T02:24:52Z","phase":"AwaitingApproval","weight":50,"version":"13","desiredCommit":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b","commit":"c3","message":"Waiting for approval before 100%.","gates":[{"name":"successRate","verdict":"pass","value":0.997,"unit":null,"statistic":null,"threshold":">= 0.99","query":null,"message":null,"consecutiveFailures":0}]}]

        """#)
    }

    @Test func anEntryFromTrailersHasNoGates() {
        let trailers = LedgerTrailers(key: fraudDetector, desiredCommit: desiredSHA, phase: .Progressing, weight: 25, version: "13")
        let entry = HistoryEntry(commit: "c2", time: transitionTime, trailers: trailers)
        #expect(entry == HistoryEntry(time: transitionTime, phase: .Progressing, weight: 25, version: "13",
                                      desiredCommit: desiredSHA, commit: "c2"))
    }
}
