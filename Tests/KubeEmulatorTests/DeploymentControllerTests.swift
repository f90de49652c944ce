import KubeEmulator
import SerinCore
import Testing

/// The simulated deployment controller's status, read as `kubectl rollout status` reads it.
@Suite struct DeploymentControllerTests {
    private func status(_ emulator: KubeEmulatorHandle, _ name: String) async throws -> JSONValue {
        try await emulator.http.get(Fixtures.deployments + "/" + name).json["status"] ?? .null
    }

    private func condition(_ status: JSONValue, _ type: String) -> JSONValue? {
        status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// Polls the status until `done` holds or 10 s pass (a generous bound: the machine may be busy), returning the
    /// last status read.
    private func status(_ emulator: KubeEmulatorHandle, _ name: String, until done: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(10)
        var last = try await status(emulator, name)
        while !done(last) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            last = try await status(emulator, name)
        }
        return last
    }

    @Test func aDeploymentIsProgressingUntilTheConfiguredDelayHasPassed() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .seconds(3_600)
        try await withEmulator(options) { emulator in
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("web", replicas: 3))
            let progressing = try await status(emulator, "web") { $0["observedGeneration"] == 1 }
            #expect(progressing["observedGeneration"] == 1)
            #expect(progressing["updatedReplicas"] == 3)
            #expect(progressing["availableReplicas"] == nil)
            #expect(condition(progressing, "Progressing")?["reason"] == "ReplicaSetUpdated")
        }
    }

    @Test func aDeploymentBecomesAvailableAfterTheConfiguredDelay() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .milliseconds(200)
        try await withEmulator(options) { emulator in
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("web", replicas: 3))
            let complete = try await status(emulator, "web") { $0["availableReplicas"] == 3 }
            #expect(complete["availableReplicas"] == 3)
            #expect(complete["readyReplicas"] == 3)
            #expect(complete["unavailableReplicas"] == nil)
            #expect(condition(complete, "Progressing")?["reason"] == "NewReplicaSetAvailable")
            #expect(condition(complete, "Available")?["status"] == "True")
        }
    }

    @Test func aDeploymentSetToExceedItsDeadlineReportsProgressDeadlineExceeded() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .milliseconds(100)
        try await withEmulator(options) { emulator in
            await emulator.emulator.setDeploymentBehaviour(namespace: "default", name: "web", .exceedsProgressDeadline)
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("web"))
            let status = try await status(emulator, "web") { condition($0, "Progressing")?["status"] == "False" }
            #expect(condition(status, "Progressing")?["status"] == "False")
            #expect(condition(status, "Progressing")?["reason"] == "ProgressDeadlineExceeded")
        }
    }

    @Test func aDeploymentThatNeverBecomesReadyStaysUnavailable() async throws {
        var options = KubeEmulatorOptions()
        options.deploymentReadyAfter = .milliseconds(50)
        try await withEmulator(options) { emulator in
            await emulator.emulator.setDeploymentBehaviour(namespace: "default", name: "web", .neverReady)
            _ = try await emulator.http.post(Fixtures.deployments, Fixtures.deployment("web"))
            let status = try await status(emulator, "web") { condition($0, "Available") != nil }
            #expect(status["unavailableReplicas"] == 2)
            #expect(condition(status, "Available")?["reason"] == "MinimumReplicasUnavailable")
        }
    }
}
