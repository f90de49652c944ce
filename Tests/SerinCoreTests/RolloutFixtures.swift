import SerinCore

/// 2026-11-29T02:20:52Z.
let transitionTime = Timestamp(millisecondsSinceEpoch: 1_795_918_852_000)

let fraudDetector = DeploymentKey(namespace: "ml-prod", name: "fraud-detector")

let desiredSHA = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"

/// A canary at its second step, one gate passing, one failing twice in a row, one without data.
let progressingStatus = RolloutStatus(
    key: fraudDetector, phase: .Progressing, stableVersion: "12", canaryVersion: "13", canaryWeight: 25, stepIndex: 1,
    gates: [
        GateResult(name: "successRate", verdict: .pass, value: 0.995, threshold: ">= 0.99"),
        GateResult(name: "latency", statistic: "p99", verdict: .fail, value: 310, unit: "ms", threshold: "<= 250ms",
                   consecutiveFailures: 2),
        GateResult(name: "drift", verdict: .inconclusive, value: nil, threshold: "<= 0.2",
                   query: #"max(model_feature_drift{model="fraud-detector"})"#, message: "the query returned no samples"),
    ],
    desiredCommit: desiredSHA, reason: "Gates passed for 2m at 10%; moving to 25%.",
    startedAt: Timestamp(millisecondsSinceEpoch: 1_795_918_732_000), updatedAt: transitionTime)
