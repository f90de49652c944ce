import Foundation
import Testing

/// manifests/ as an administrator uses it: rendered by the real kubectl's kustomize and installed with
/// `kubectl apply -k` into the API emulator, with the operator's pod hardened as the restricted Pod Security Standard
/// asks.
@Suite("manifests/ installs Serin", .serialized)
struct ManifestsTests {
    @Test(arguments: ["", "namespaced", "crd"])
    func theKustomizationRenders(_ directory: String) throws {
        let result = try ClusterInstall.run("/usr/bin/kubectl", ["kustomize", ClusterInstall.manifests.appendingPathComponent(directory).path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("kind:"), "\(result.output)")
    }

    @Test func theGitSSHComponentSwapsTheTokenForTheDeployKeyAndKnownHosts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-kustomize-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ClusterInstall.manifests, to: directory.appendingPathComponent("manifests"))
        try Data("resources: [manifests]\ncomponents: [manifests/components/git-ssh]\n".utf8)
            .write(to: directory.appendingPathComponent("kustomization.yaml"))
        let rendered = try ClusterInstall.run("/usr/bin/kubectl", ["kustomize", directory.path])
        #expect(rendered.status == 0, "\(rendered.output)")
        #expect(rendered.output.contains("name: SERIN_SSH_KEY") && rendered.output.contains("name: SERIN_KNOWN_HOSTS"), "\(rendered.output)")
        #expect(!rendered.output.contains("name: SERIN_PASSWORD_ENV"), "a key and a token together are refused: \(rendered.output)")
        #expect(rendered.output.contains("secretName: serin-git-ssh"))
    }

    @Test func applyInstallsEveryObjectIntoTheCluster() async throws {
        let world = try await KubernetesRunTests.World()
        let applied = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.path])
        #expect(applied.status == 0, "\(applied.output)")
        for object in ["namespace/serin-system", "customresourcedefinition.apiextensions.k8s.io/modeldeployments.serin.dev",
                       "serviceaccount/serin", "clusterrole.rbac.authorization.k8s.io/serin",
                       "clusterrolebinding.rbac.authorization.k8s.io/serin", "role.rbac.authorization.k8s.io/serin-leader-election",
                       "rolebinding.rbac.authorization.k8s.io/serin-leader-election", "configmap/serin-config",
                       "secret/serin-git-https", "secret/serin-git-ssh", "secret/serin-webhook", "service/serin",
                       "deployment.apps/serin", "networkpolicy.networking.k8s.io/serin"] {
            #expect(applied.output.contains("\(object) created"), "\(object): \(applied.output)")
        }
        // Applied again, nothing changes: the manifests are what the server keeps.
        let again = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.path])
        #expect(again.status == 0 && !again.output.contains("configured"), "\(again.output)")
        #expect(await world.eventually(within: .seconds(20)) {
            try ClusterInstall.object(world, "deployment", "serin", "-n", "serin-system")["status", "readyReplicas"] as? Int == 2
        })
    }

    @Test func theNamespacedVariantGrantsNothingClusterWide() async throws {
        let world = try await KubernetesRunTests.World()
        let applied = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.appendingPathComponent("namespaced").path])
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("role.rbac.authorization.k8s.io/serin created"), "\(applied.output)")
        #expect(!applied.output.contains("clusterrole"), "\(applied.output)")
        #expect(!applied.output.contains("serin-leader-election"), "the Lease moves to the models' namespace: \(applied.output)")
        let role = try ClusterInstall.object(world, "role", "serin", "-n", "ml")
        #expect(role["metadata", "namespace"] as? String == "ml")
        let config = try ClusterInstall.object(world, "configmap", "serin-config", "-n", "serin-system")
        #expect(config["data", "SERIN_NAMESPACE"] as? String == "ml")
    }

    @Test func theOperatorPodIsHardened() async throws {
        let world = try await KubernetesRunTests.World()
        let applied = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.path])
        try #require(applied.status == 0, "\(applied.output)")
        let deployment = try ClusterInstall.object(world, "deployment", "serin", "-n", "serin-system")
        #expect(deployment["spec", "replicas"] as? Int == 2)
        let pod = try #require(deployment["spec", "template", "spec"] as? [String: Any])
        #expect(pod["serviceAccountName"] as? String == "serin")
        #expect(pod["securityContext", "runAsNonRoot"] as? Bool == true)
        #expect(pod["securityContext", "seccompProfile", "type"] as? String == "RuntimeDefault")
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        #expect(container["securityContext", "allowPrivilegeEscalation"] as? Bool == false)
        #expect(container["securityContext", "readOnlyRootFilesystem"] as? Bool == true)
        #expect(container["securityContext", "capabilities", "drop"] as? [String] == ["ALL"])
        #expect(container["resources", "requests"] != nil && container["resources", "limits"] != nil)
        #expect(container["livenessProbe", "httpGet", "path"] as? String == "/healthz")
        #expect(container["readinessProbe", "httpGet", "path"] as? String == "/readyz")
        let environment = (container["env"] as? [[String: Any]]) ?? []
        #expect(environment.contains { $0["name"] as? String == "SERIN_LEADER_ELECT" && $0["value"] as? String == "true" })
        // Everything Serin writes goes to emptyDirs: its state directory (the Git mirror) and /tmp.
        let config = try ClusterInstall.object(world, "configmap", "serin-config", "-n", "serin-system")
        let mounts = ((container["volumeMounts"] as? [[String: Any]]) ?? []).compactMap { $0["mountPath"] as? String }
        #expect(mounts.contains(config["data", "SERIN_STATE_DIR"] as? String ?? "?") && mounts.contains("/tmp"), "\(mounts)")
        #expect(config["data", "SERIN_LISTEN"] as? String == "0.0.0.0:8081")
        // The pod's user is the image's (Dockerfile USER).
        let dockerfile = try String(contentsOf: ClusterInstall.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let uid = try #require(pod["securityContext", "runAsUser"] as? Int)
        #expect(dockerfile.contains("\nUSER \(uid):"), "runAsUser \(uid) is not the Dockerfile's USER")
    }
}
