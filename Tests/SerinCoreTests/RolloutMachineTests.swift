import SerinCore
import Testing

@Suite("Rollout machine: first deployments and steady state")
struct RolloutSteadyStateTests {
    @Test func aFirstDeploymentTakesAllTrafficOnceReadyWithoutSteps() {
        var simulation = RolloutSimulation(rolloutDeployment(version: "1"))
        simulation.reconcile()
        #expect(simulation.status?.phase == .Pending)
        #expect(simulation.workloads.count == 1)
        simulation.becomeReady()
        simulation.settle()
        #expect(simulation.phases == [.Pending, .Promoting, .Succeeded])
        #expect(simulation.status?.stableVersion == "1")
        #expect(simulation.status?.canaryVersion == nil)
        #expect(simulation.status?.canaryWeight == 100)
        #expect(simulation.weights == ["1": 100])
        #expect(simulation.checks.isEmpty)
    }

    @Test func aSteadyModelDecidesNoTransitionAndKeepsItsStableWorkload() {
        var simulation = establishedSimulation(rolloutDeployment(version: "1"))
        let decision = simulation.reconcile()
        #expect(!decision.isTransition)
        #expect(decision.actions.contains(.route(.all(to: rolloutDeployment(version: "1").revision))))
        #expect(decision.nextDecisionAt == nil)
    }

    @Test func aLabelOnlyChangeNeverStartsACanary() {
        var simulation = establishedSimulation(rolloutDeployment(version: "1", labels: "team: ml"))
        let decision = simulation.reconcile()
        #expect(!decision.isTransition)
        #expect(simulation.status?.phase == .Succeeded)
        #expect(simulation.workloads.count == 1)
    }

    @Test func aReplicaChangeScalesTheStableWorkloadWithoutACanary() {
        var simulation = establishedSimulation(rolloutDeployment(version: "1", replicas: 5))
        let decision = simulation.reconcile()
        #expect(!decision.isTransition)
        #expect(simulation.workloads.values.map(\.replicas) == [5])
    }

    @Test func aNewImageWithTheSameModelVersionIsANewRevisionAndStartsACanary() {
        var simulation = establishedSimulation(rolloutDeployment(version: "1", image: "seldonio/mlserver:1.7.2"), from: rolloutDeployment(version: "1"))
        simulation.reconcile()
        #expect(simulation.status?.phase == .Pending)
        #expect(simulation.status?.reason.contains("serving fields changed") == true)
        #expect(simulation.workloads.count == 2)
    }
}

@Suite("Rollout machine: canary steps and gates")
struct RolloutCanaryTests {
    @Test func theCanaryEntersTheFirstStepOnceReady() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.reconcile()
        #expect(simulation.status?.phase == .Pending)
        #expect(simulation.weights == ["1": 100])
        simulation.startRollout()
        #expect(simulation.status?.phase == .Progressing)
        #expect(simulation.status?.stepIndex == 0)
        #expect(simulation.weights == ["1": 90, "2": 10])
    }

    @Test func trafficMovesUpOnlyAfterAWholeIntervalOfPassingGates() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.advance(seconds: 59)
        let early = simulation.reconcile()
        #expect(!early.isTransition)
        #expect(simulation.checks.isEmpty)
        #expect(early.nextDecisionAt == Timestamp(secondsSinceEpoch: 1_795_918_800 + 60))
        simulation.advance(seconds: 1)
        simulation.reconcile()
        #expect(simulation.checks.count == 1)
        #expect(simulation.status?.canaryWeight == 50)
        #expect(simulation.status?.reason == "Gates passed for 1m at 10%; v2 now takes 50%.")
    }

    @Test func passingEveryStepPromotesAndDeletesTheOldStable() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.run(for: 180)
        simulation.settle()
        #expect(simulation.phases == [.Pending, .Progressing, .Progressing, .Progressing, .Promoting, .Succeeded])
        #expect(simulation.decisions.compactMap(\.status).map(\.canaryWeight).filter { $0 > 0 }.first == 10)
        #expect(simulation.status?.stableVersion == "2")
        #expect(simulation.weights == ["2": 100])
        #expect(simulation.workloads.values.map(\.revision.version) == ["2"])
    }

    @Test func aCanaryWhoseWorkloadsWentMissingIsDeployedAgainAndItsIntervalStartsOverWithNoCheckCounted() {
        // Serin on one machine, restarted mid-canary: its runtime has no workload until the actions start them.
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.verdicts["successRate"] = .inconclusive
        simulation.advance(seconds: 600)
        simulation.workloads = [:]
        let decision = simulation.reconcile()
        #expect(decision.isTransition)
        #expect(!decision.checkedGates)
        #expect(simulation.status?.phase == .Progressing)
        #expect(simulation.status?.canaryWeight == 10)
        #expect(simulation.status?.gates.isEmpty == true)
        #expect(simulation.status?.intervalStartedAt == simulation.now)
        #expect(simulation.status?.reason
                == "v2 and v1's workloads were missing, so they were deployed again; the 1m check at 10% starts over.")
        #expect(Set(simulation.workloads.values.map(\.revision.version)) == ["1", "2"])
        #expect(simulation.weights == ["1": 90, "2": 10])
        #expect(decision.nextDecisionAt == simulation.now + .seconds(60))
    }

    @Test func aCanaryWhoseWorkloadAloneWentMissingIsNamedAlone() {
        // A Deployment deleted by hand on Kubernetes: the stable version still runs.
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.advance(seconds: 60)
        simulation.workloads = simulation.workloads.filter { $0.value.revision.version == "1" }
        simulation.reconcile()
        #expect(simulation.status?.reason == "v2's workload was missing, so it was deployed again; the 1m check at 10% starts over.")
        #expect(simulation.status?.gates.isEmpty == true)
    }

    @Test func aCanaryCheckedAfterItsWorkloadsCameBackJudgesTheNewIntervalOnly() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.advance(seconds: 600)
        simulation.workloads = [:]
        simulation.reconcile()
        simulation.advance(seconds: 30)
        #expect(!simulation.reconcile().isTransition)
        simulation.advance(seconds: 30)
        let decision = simulation.reconcile()
        #expect(decision.checkedGates)
        #expect(simulation.status?.canaryWeight == 50)
        #expect(simulation.checks.count == 2)
    }

    @Test func aFailingGateHoldsTheWeightAndRecordsTheEvidence() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        let decision = simulation.reconcile()
        #expect(decision.isTransition)
        #expect(simulation.status?.phase == .Progressing)
        #expect(simulation.status?.canaryWeight == 10)
        let gate = simulation.status?.gates.first { $0.name == "successRate" }
        #expect(gate?.consecutiveFailures == 1)
        #expect(gate?.value == 0.9)
        #expect(simulation.status?.reason == "Holding v2 at 10%: successRate fail; checking again in 1m.")
    }

    @Test func maxFailedChecksInARowRollBackToStableThenFail() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.reconcile()
        simulation.advance(seconds: 60)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(simulation.status?.reason == "Gate successRate failed 2 checks in a row: 0.9 < 0.99 fail (2 consecutive).")
        #expect(simulation.weights == ["1": 100])
        #expect(simulation.workloads.values.first { $0.revision.version == "2" }?.replicas == 0)
        simulation.reconcile()
        #expect(simulation.status?.phase == .Failed)
        #expect(simulation.status?.reason
            == "Rolled back to v1 and removed v2. Gate successRate failed 2 checks in a row: 0.9 < 0.99 fail (2 consecutive).")
        #expect(simulation.status?.canaryWeight == 0)
        #expect(simulation.status?.gates.first { $0.name == "successRate" }?.consecutiveFailures == 2)
        #expect(simulation.workloads.values.map(\.revision.version) == ["1"])
    }

    @Test func aPassBetweenFailuresResetsTheStreak() {
        var simulation = establishedSimulation(rolloutDeployment(steps: [10, 100]))
        simulation.startRollout()
        for verdict in [GateResult.Verdict.fail, .pass] {
            simulation.verdicts["successRate"] = verdict
            simulation.advance(seconds: 60)
            simulation.reconcile()
        }
        #expect(simulation.status?.canaryWeight == 100)
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.reconcile()
        #expect(simulation.status?.phase == .Progressing)
        #expect(simulation.status?.gates.first { $0.name == "successRate" }?.consecutiveFailures == 1)
    }

    @Test func inconclusiveChecksNeverPromoteAndAStreakFailsTheRollout() {
        var simulation = establishedSimulation(rolloutDeployment(maxInconclusiveChecks: 3))
        simulation.startRollout()
        simulation.verdicts["successRate"] = .inconclusive
        for _ in 0..<2 {
            simulation.advance(seconds: 60)
            simulation.reconcile()
            #expect(simulation.status?.canaryWeight == 10)
        }
        simulation.advance(seconds: 60)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(simulation.status?.reason.hasPrefix("Gate successRate had no conclusive evidence for 3 checks in a row") == true)
        simulation.reconcile()
        #expect(simulation.status?.phase == .Failed)
    }

    @Test func aCanaryThatStopsBeingReadyFailsTheReadinessGate() {
        var simulation = establishedSimulation(rolloutDeployment(maxFailedChecks: 1))
        simulation.startRollout()
        simulation.readyDigests.remove(rolloutDeployment().revision.digest)
        simulation.advance(seconds: 60)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(simulation.status?.reason == "Gate readiness failed its check: fail; the workload is not ready.")
    }

    @Test func aCrashedCanaryRollsBackAtOnce() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.crashedDigests[rolloutDeployment().revision.digest] = "container model-server is in CrashLoopBackOff"
        simulation.advance(seconds: 5)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(simulation.status?.reason == "v2's workload failed: container model-server is in CrashLoopBackOff")
        #expect(simulation.weights == ["1": 100])
    }

    @Test func aCanaryNotReadyWithinTheProgressDeadlineRollsBack() {
        var simulation = establishedSimulation(rolloutDeployment(progressDeadline: "5m"))
        let started = simulation.reconcile()
        #expect(started.nextDecisionAt == Timestamp(secondsSinceEpoch: 1_795_918_800 + 300))
        simulation.advance(seconds: 299)
        #expect(!simulation.reconcile().isTransition)
        simulation.advance(seconds: 1)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(simulation.status?.reason == "v2 did not become ready within the progress deadline of 5m.")
    }

    @Test func noGatesMeansReadinessAloneMovesEachStepAfterAnInterval() {
        var simulation = establishedSimulation(rolloutDeployment(gates: []))
        simulation.startRollout()
        simulation.run(for: 180)
        simulation.settle()
        #expect(simulation.checks.isEmpty)
        #expect(simulation.status?.phase == .Succeeded)
        #expect(simulation.status?.stableVersion == "2")
    }
}

@Suite("Rollout machine: changes during a rollout")
struct RolloutChangeTests {
    @Test func aNewVersionMidRolloutAbandonsTheCanaryAndStartsFromTheFirstStep() {
        var simulation = establishedSimulation(rolloutDeployment(version: "2"))
        simulation.startRollout()
        simulation.run(for: 60)
        #expect(simulation.status?.canaryWeight == 50)
        simulation.desired = rolloutDeployment(version: "3")
        simulation.reconcile()
        #expect(simulation.status?.phase == .Pending)
        #expect(simulation.status?.canaryVersion == "3")
        #expect(simulation.status?.canaryWeight == 0)
        #expect(simulation.status?.reason.hasPrefix("v3 replaces the rollout in progress; v2 was abandoned at 50%.") == true)
        #expect(simulation.weights == ["1": 100])
        #expect(Set(simulation.workloads.values.map(\.revision.version)) == ["1", "3"])
        simulation.startRollout()
        #expect(simulation.status?.canaryWeight == 10)
    }

    @Test func revertingToTheStableVersionMidRolloutEndsItAtStable() {
        var simulation = establishedSimulation(rolloutDeployment(version: "2"))
        simulation.startRollout()
        simulation.desired = rolloutDeployment(version: "1")
        simulation.reconcile()
        #expect(simulation.status?.phase == .Succeeded)
        #expect(simulation.status?.stableVersion == "1")
        #expect(simulation.weights == ["1": 100])
        #expect(simulation.workloads.values.map(\.revision.version) == ["1"])
    }

    @Test func removingTheModelMidRolloutDeletesBothVersions() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.desired = nil
        let decision = simulation.reconcile()
        #expect(decision.isTransition)
        #expect(simulation.status?.phase == .Removed)
        #expect(simulation.workloads.isEmpty)
        #expect(simulation.traffic == .none)
        #expect(!simulation.reconcile().isTransition)
    }

    @Test func aFailedVersionIsNotRetriedUntilTheDocumentChanges() {
        var simulation = establishedSimulation(rolloutDeployment(maxFailedChecks: 1))
        simulation.startRollout()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.settle()
        #expect(simulation.status?.phase == .Failed)
        simulation.verdicts = [:]
        simulation.advance(seconds: 3_600)
        #expect(!simulation.reconcile().isTransition)
        #expect(simulation.workloads.values.map(\.revision.version) == ["1"])

        simulation.desired = rolloutDeployment(maxFailedChecks: 1, labels: "retry: \"1\"")
        simulation.reconcile()
        #expect(simulation.status?.phase == .Pending)
        #expect(simulation.status?.canaryVersion == "2")
    }

    @Test func aFailedFirstDeploymentLeavesNothingRunning() {
        var simulation = RolloutSimulation(rolloutDeployment(version: "1", progressDeadline: "1m"))
        simulation.reconcile()
        simulation.advance(seconds: 60)
        simulation.settle()
        #expect(simulation.phases.suffix(2) == [.RollingBack, .Failed])
        #expect(simulation.workloads.isEmpty)
        #expect(simulation.traffic == .none)
        #expect(simulation.status?.reason.hasPrefix("Removed v1; no version of this model serves. ") == true,
                "\(simulation.status?.reason ?? "")")
    }
}

@Suite("Rollout machine: approvals, blue-green and recreate")
struct RolloutStrategyTests {
    @Test func aStepBehindAnApprovalWaitsForTheApprovalFileInGit() {
        var simulation = establishedSimulation(rolloutDeployment(approvalBefore: 100))
        simulation.startRollout()
        simulation.run(for: 120)
        #expect(simulation.status?.phase == .AwaitingApproval)
        #expect(simulation.status?.canaryWeight == 50)
        #expect(simulation.status?.reason == "Gates passed for 1m at 50%; moving to 100% waits for an approval committed to approvals/ml/iris/2.")
        simulation.advance(seconds: 600)
        #expect(!simulation.reconcile().isTransition)
        simulation.approvals.insert("2")
        simulation.reconcile()
        #expect(simulation.status?.phase == .Progressing)
        #expect(simulation.status?.canaryWeight == 100)
    }

    @Test func blueGreenSendsNoLiveTrafficUntilItsGatesPassThenSwitchesAtOnce() {
        var simulation = establishedSimulation(rolloutDeployment(strategy: "blueGreen", gates: ["webhook: {name: load-test, url: \"http://loadtest/run\"}"]))
        simulation.startRollout()
        simulation.reconcile()
        #expect(simulation.status?.phase == .Progressing)
        #expect(simulation.weights == ["1": 100])
        #expect(simulation.workloads.count == 2)
        simulation.advance(seconds: 60)
        simulation.reconcile()
        #expect(simulation.checks.map(\.canaryWeight) == [0])
        #expect(simulation.status?.phase == .Promoting)
        #expect(simulation.weights == ["2": 100])
    }

    @Test func blueGreenWithoutGatesSwitchesOnReadinessAlone() {
        var simulation = establishedSimulation(rolloutDeployment(strategy: "blueGreen", gates: []))
        simulation.becomeReady()
        simulation.settle()
        #expect(simulation.phases == [.Pending, .Promoting, .Succeeded])
        #expect(simulation.weights == ["2": 100])
    }

    @Test func recreateStopsTheOldVersionBeforeTheNewOneStarts() {
        var simulation = establishedSimulation(rolloutDeployment(strategy: "recreate", gates: []))
        simulation.reconcile()
        #expect(simulation.workloads.values.first { $0.revision.version == "1" }?.replicas == 0)
        #expect(simulation.weights == ["2": 100])
        simulation.becomeReady()
        simulation.settle()
        #expect(simulation.status?.phase == .Succeeded)
        #expect(simulation.workloads.values.map(\.revision.version) == ["2"])
    }

    @Test func aFailedRecreateStartsTheOldVersionAgainAndFailsOnceItIsReady() {
        var simulation = establishedSimulation(rolloutDeployment(strategy: "recreate", maxFailedChecks: 1))
        simulation.readyDigests.remove(rolloutDeployment(version: "1").revision.digest)
        simulation.startRollout()
        simulation.reconcile()
        simulation.verdicts["successRate"] = .fail
        simulation.advance(seconds: 60)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        #expect(simulation.workloads.values.first { $0.revision.version == "1" }?.replicas == 2)
        simulation.reconcile()
        #expect(simulation.status?.phase == .RollingBack)
        simulation.readyDigests.insert(rolloutDeployment(version: "1").revision.digest)
        simulation.reconcile()
        #expect(simulation.status?.phase == .Failed)
        #expect(simulation.weights == ["1": 100])
    }

    @Test func recreateWithAnApprovalAsksBeforeStoppingTheStableVersion() {
        var simulation = establishedSimulation(rolloutDeployment(strategy: "recreate", gates: [], approvalBefore: 100))
        simulation.reconcile()
        #expect(simulation.status?.phase == .AwaitingApproval)
        #expect(simulation.workloads.values.map(\.revision.version) == ["1"])
        #expect(simulation.weights == ["1": 100])
        simulation.approvals.insert("2")
        simulation.reconcile()
        #expect(simulation.status?.phase == .Pending)
        #expect(simulation.workloads.values.first { $0.revision.version == "1" }?.replicas == 0)
    }
}

@Suite("Rollout machine: resuming from the ledger")
struct RolloutResumeTests {
    @Test func aRestartMidIntervalResumesTheSameStepWithoutSkippingTheInterval() throws {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        simulation.advance(seconds: 30)
        simulation.reconcile()
        let recorded = try #require(simulation.status)
        let restored = try RolloutStatus.decode(Array(recorded.yaml.utf8), file: "status/ml/iris.yaml").get()
        #expect(restored == recorded)

        var resumed = RolloutSimulation(simulation.desired, status: restored)
        resumed.now = simulation.now
        resumed.workloads = simulation.workloads
        resumed.readyDigests = simulation.readyDigests
        resumed.traffic = simulation.traffic
        #expect(!resumed.reconcile().isTransition)
        #expect(resumed.status?.canaryWeight == 10)
        resumed.advance(seconds: 29)
        resumed.reconcile()
        #expect(resumed.checks.isEmpty)
        resumed.advance(seconds: 1)
        resumed.reconcile()
        #expect(resumed.checks.count == 1)
        #expect(resumed.status?.canaryWeight == 50)
    }

    @Test func gateCheckContextNamesTheVersionsWeightStepAndInterval() {
        var simulation = establishedSimulation(rolloutDeployment())
        simulation.startRollout()
        #expect(RolloutMachine.gateCheckDue(desired: simulation.desired, status: simulation.status, now: simulation.now) == nil)
        simulation.advance(seconds: 60)
        let context = RolloutMachine.gateCheckDue(desired: simulation.desired, status: simulation.status, now: simulation.now)
        #expect(context == GateContext(key: DeploymentKey(namespace: "ml", name: "iris"), modelName: "iris", canaryVersion: "2",
                                       stableVersion: "1", canaryWeight: 10, stepIndex: 0, interval: .minutes(1)))
    }
}
