import SerinCore
import SerinKube
import SerinKubeRuntime
import Testing

/// Object names and label values stay valid for any model name and version the spec accepts.
@Suite("Names and labels of Kubernetes objects")
struct NamingTests {
    static let digest = "1a2b3c4d5e6f7a8b"

    @Test(arguments: [
        ("iris", "v2", "iris-v2-1a2b3c4d"),
        ("iris", "2", "iris-2-1a2b3c4d"),
        ("fraud-detector", "1.0+build.5", "fraud-detector-1-0-build-5-1a2b3c4d"),
        ("iris", "_RC_1", "iris-rc-1-1a2b3c4d"),
        ("iris", "2024.01.15-Final", "iris-2024-01-15-final-1a2b3c4d"),
    ])
    func aRevisionIsNamedByModelVersionAndShortDigest(name: String, version: String, expected: String) {
        let key = DeploymentKey(namespace: "ml", name: name)
        #expect(ObjectNames.revision(key, ServingRevision(version: version, digest: Self.digest)) == expected)
    }

    @Test func longNamesAndVersionsAreCutToADNSLabelKeepingBoth() {
        let name = String(repeating: "a", count: 40) + "-" + String(repeating: "b", count: 22)
        let version = String(repeating: "9", count: 30) + "." + String(repeating: "x", count: 32)
        let key = DeploymentKey(namespace: "ml", name: name)
        let revision = ObjectNames.revision(key, ServingRevision(version: version, digest: Self.digest))
        #expect(revision.count <= 63)
        #expect(Names.dnsLabelProblem(revision) == nil, "\(revision)")
        #expect(revision.hasPrefix(String(repeating: "a", count: 30) + "-999"))
        #expect(revision.hasSuffix("-1a2b3c4d"))
        // Revisions of one model that differ only by digest never share a name.
        let other = ObjectNames.revision(key, ServingRevision(version: version, digest: "ffffffff00000000"))
        #expect(other != revision)
    }

    @Test func versionsThatAreNotLabelValuesAreLabelledWithAValidStandIn() async throws {
        try await RuntimeHarness.with { harness in
            let odd = try iris("1.0+build.5")
            try await harness.runtime.perform([.deploy(odd.revision, replicas: 1)], key: RuntimeHarness.iris, desired: odd)
            let deployment = try #require(try await harness.kubectlGet("deployment", ObjectNames.revision(RuntimeHarness.iris, odd.revision)))
            let labels = try #require(deployment[path: "metadata", "labels"]?.objectValue)
            #expect(labels["app.kubernetes.io/version"] == "1.0_build.5")
            for (key, value) in labels {
                #expect(Names.qualifiedNameProblem(key) == nil && Names.labelValueProblem(value.stringValue ?? "") == nil, "\(key)=\(value)")
            }
            // The template keeps the real version for the server: only the label was adapted.
            #expect(deployment[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue?.last?["value"] == "v1.0+build.5")
        }
    }

    @Test func aModelOutsideTheManagedNamespaceIsRefused() async throws {
        try await RuntimeHarness.with { harness in
            let scoped = KubernetesRuntime(client: harness.client, configuration: .init(namespace: "serving"), logger: Quiet.logger)
            let v1 = try iris("1")
            await #expect(throws: KubernetesRuntimeError.outsideNamespace(RuntimeHarness.iris, managed: "serving")) {
                try await scoped.perform([.deploy(v1.revision, replicas: 1)], key: RuntimeHarness.iris, desired: v1)
            }
            #expect(try await harness.get(.deployments, ObjectNames.revision(RuntimeHarness.iris, v1.revision)) == nil)
        }
    }
}
