import Foundation
import Testing

/// charts/serin through the real Helm (Helm 4 as a library, from PyPI's helm-sdkpy, driven by
/// scripts/python/helm_chart.py in the .venv that scripts/install-python.sh makes), against `kubectl kustomize
/// manifests/`, the Kubernetes 1.32 schemas (kubernetes-validate) and the API emulator.
///
/// helm-sdkpy has no `helm template`: a render here is a `helm install` without --wait into a fresh emulator, whose
/// release manifest is what `helm template` prints. The chart adds no Helm-specific labels or annotations, so rendered
/// objects are compared whole; the Namespace is the one object the default render leaves out (values.yaml,
/// namespace.create).
@Suite("charts/serin renders and installs Serin", .serialized)
struct HelmChartTests {
    static let chart = ClusterInstall.root.appendingPathComponent("charts/serin")
    static let releaseNamespace = "serin-system"

    // MARK: Lint and the schema

    @Test func helmLintReportsNoErrorsOrWarnings() throws {
        let lint = try Helm.driver(["lint", Self.chart.path])
        #expect(lint.status == 0, "\(lint.output)\n\(lint.errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(lint.output.utf8)) as? [String: Any])
        #expect((result["errors"] as? [Any])?.isEmpty == true, "\(lint.output)")
        let messages = (result["messages"] as? [[String: Any]]) ?? []
        // Severity 1 is Helm's information (such as "icon is recommended"); 2 and 3 are warnings and errors.
        #expect(messages.allSatisfy { ($0["severity"] as? Int ?? 0) < 2 }, "\(lint.output)")
    }

    /// Bad values, the schema's message Helm prints for each (the path of the value and what is wrong with it).
    static let badValues: [(values: String, message: String)] = [
        (#"{"replicas": "two"}"#, "at '/replicas': got string, want integer"),
        (#"{"repository": {"url": null}}"#, "at '/repository': missing property 'url'"),
        (#"{"repository": {"url": ""}}"#, "at '/repository/url': minLength: got 0, want 1"),
        (#"{"repository": {"interval": "5 minutes"}}"#, "at '/repository/interval': '5 minutes' does not match pattern"),
        (#"{"credentials": {"method": "token"}}"#, "at '/credentials/method': value must be one of 'https', 'ssh', 'none'"),
        (#"{"defaultMetricsSource": "datadog"}"#, "at '/defaultMetricsSource': value must be one of '', 'istio', 'mlserver', 'torchserve'"),
        (#"{"defaultTrafficProvider": "local"}"#, "at '/defaultTrafficProvider': value must be one of '', 'gateway-api', 'istio', 'replicas'"),
        (#"{"replica": 3}"#, "additional properties 'replica' not allowed"),
        (#"{"image": {"pullPolicy": "Sometimes"}}"#, "at '/image/pullPolicy': value must be one of"),
        (#"{"serviceMonitor": {"interval": "often"}}"#, "at '/serviceMonitor/interval': 'often' does not match pattern"),
        // Two replicas without leader election would both write.
        (#"{"leaderElection": false}"#, "at '/leaderElection': value must be true"),
    ]

    @Test(arguments: badValues)
    func badValuesFailWithTheSchemasMessageBeforeAnythingIsCreated(_ values: String, _ message: String) async throws {
        let cluster = try await HelmCluster()
        let install = try cluster.install(values: values)
        #expect(install.status != 0, "\(values) was accepted")
        #expect(install.errors.contains("values don't meet the specifications of the schema"), "\(install.errors)")
        #expect(install.errors.contains(message), "\(values): \(install.errors)")
        let created = try cluster.kubectl(["get", "deployments,configmaps,secrets", "-n", Self.releaseNamespace, "-o", "name"])
        #expect(created.status == 0 && !created.output.contains("serin"), "\(created.output)")
    }

    @Test func theSSHMethodWithoutAKeyFailsNamingTheValuesToSet() async throws {
        let install = try await HelmCluster().install(values: #"{"credentials": {"method": "ssh", "ssh": {"privateKey": ""}}}"#)
        #expect(install.status != 0)
        #expect(install.errors.contains("credentials.method is ssh but there is no key: set credentials.ssh.existingSecret"), "\(install.errors)")
    }

    @Test func oneReplicaMayRunWithoutLeaderElection() async throws {
        let rendered = try await HelmCluster().render(values: #"{"replicas": 1, "leaderElection": false}"#)
        let container = try #require((try Objects.one(rendered, "Deployment")["spec", "template", "spec", "containers"] as? [[String: Any]])?.first)
        let election = ((container["env"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "SERIN_LEADER_ELECT" }
        #expect(election?["value"] as? String == "false")
    }

    // MARK: The chart against manifests/

    @Test func theDefaultValuesRenderTheObjectsOfManifestsButTheNamespace() async throws {
        let rendered = try await HelmCluster().render()
        let expected = try Kustomize.objects(ClusterInstall.manifests).filter { $0["kind"] as? String != "Namespace" }
        try Objects.expectSame(rendered, expected)
    }

    @Test func namespaceCreateRendersTheNamespaceOfManifestsWithItsPodSecurityLabels() async throws {
        // Helm stores the release in its namespace first, so the namespace exists: --take-ownership adopts it.
        let rendered = try await HelmCluster().render(values: #"{"namespace": {"create": true}}"#, takeOwnership: true)
        let expected = try Kustomize.objects(ClusterInstall.manifests)
        try Objects.expectSame(rendered, expected)
    }

    @Test func theNamespacedModeRendersTheObjectsOfManifestsNamespaced() async throws {
        // manifests/namespaced/ leaves the cluster-scoped CRD to a cluster admin; so does crds.install=false.
        let rendered = try await HelmCluster().render(values: #"{"rbac": {"namespaced": {"enabled": true}}, "crds": {"install": false}}"#)
        let expected = try Kustomize.objects(ClusterInstall.manifests.appendingPathComponent("namespaced"))
            .filter { $0["kind"] as? String != "Namespace" }
        try Objects.expectSame(rendered, expected)
        #expect(!rendered.contains { ($0["kind"] as? String)?.hasPrefix("Cluster") == true })
    }

    /// The SSH method against manifests/ with the git-ssh component. The one difference: the component keeps the
    /// unused SERIN_GIT_TOKEN variable (it only deletes SERIN_PASSWORD_ENV, which names it); the chart leaves it out.
    /// The component's strategic merge puts its variables, mounts and volumes first; lists merged by name have no
    /// meaningful order, so they are compared sorted.
    @Test func sshCredentialsRenderAsTheGitSSHComponentWithoutTheToken() async throws {
        let rendered = try await HelmCluster().render(values: #"{"credentials": {"method": "ssh"}}"#)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-kustomize-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ClusterInstall.manifests, to: directory.appendingPathComponent("manifests"))
        try Data("resources: [manifests]\ncomponents: [manifests/components/git-ssh]\n".utf8)
            .write(to: directory.appendingPathComponent("kustomization.yaml"))
        let expected = try Kustomize.objects(directory).filter { $0["kind"] as? String != "Namespace" }
            .map { Objects.sortingNamedLists($0, dropping: ["SERIN_GIT_TOKEN"]) }
        try Objects.expectSame(rendered.map { Objects.sortingNamedLists($0, dropping: []) }, expected)
        let environment = Objects.environment(of: try Objects.one(rendered, "Deployment"))
        #expect(!environment.contains("SERIN_PASSWORD_ENV") && !environment.contains("SERIN_GIT_TOKEN"), "\(environment)")
    }

    // MARK: Values

    @Test func theSettingsReachSerinRunsEnvironmentThroughTheConfigMap() async throws {
        let rendered = try await HelmCluster().render(values: """
        {"repository": {"url": "git@github.com:acme/models.git", "branch": "prod", "path": "serving", "statusBranch": "ledger",
                        "interval": "1m30s"},
         "prometheus": {"url": "http://prometheus-operated.monitoring.svc:9090"}, "defaultMetricsSource": "istio",
         "defaultTrafficProvider": "istio", "workers": 8, "logFormat": "text", "port": 9443, "extraConfig": {"SERIN_LEDGER_AUTHOR": "Serin <serin@acme.io>"}}
        """)
        let data = try #require(try Objects.one(rendered, "ConfigMap")["data"] as? [String: String])
        #expect(data["SERIN_REPO"] == "git@github.com:acme/models.git")
        #expect(data["SERIN_BRANCH"] == "prod" && data["SERIN_PATH"] == "serving" && data["SERIN_STATUS_BRANCH"] == "ledger")
        #expect(data["SERIN_INTERVAL"] == "1m30s")
        #expect(data["SERIN_PROMETHEUS_URL"] == "http://prometheus-operated.monitoring.svc:9090")
        #expect(data["SERIN_DEFAULT_METRICS_SOURCE"] == "istio")
        #expect(data["SERIN_DEFAULT_TRAFFIC_PROVIDER"] == "istio")
        #expect(data["SERIN_WORKERS"] == "8" && data["SERIN_LOG_FORMAT"] == "text")
        #expect(data["SERIN_LISTEN"] == "0.0.0.0:9443")
        #expect(data["SERIN_LEDGER_AUTHOR"] == "Serin <serin@acme.io>")
        let deployment = try Objects.one(rendered, "Deployment")
        let container = try #require((deployment["spec", "template", "spec", "containers"] as? [[String: Any]])?.first)
        #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 9443)
        let service = try Objects.one(rendered, "Service")
        #expect((service["spec", "ports"] as? [[String: Any]])?.first?["port"] as? Int == 9443)
    }

    @Test func theImageReplicasResourcesAndSecurityContextsComeFromValues() async throws {
        let rendered = try await HelmCluster().render(values: """
        {"image": {"repository": "ghcr.io/acme/serin", "tag": "1.2.3", "pullPolicy": "Always"}, "replicas": 3,
         "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
         "podSecurityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
         "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}
        """)
        let deployment = try Objects.one(rendered, "Deployment")
        #expect(deployment["spec", "replicas"] as? Int == 3)
        let pod = try #require(deployment["spec", "template", "spec"] as? [String: Any])
        #expect(pod["securityContext", "runAsUser"] as? Int == 10001)
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        #expect(container["image"] as? String == "ghcr.io/acme/serin:1.2.3")
        #expect(container["imagePullPolicy"] as? String == "Always")
        #expect(container["resources", "requests", "cpu"] as? String == "250m")
        #expect(container["resources", "limits", "memory"] as? String == "1Gi")
        #expect(container["securityContext", "capabilities", "drop"] as? [String] == ["ALL"])
    }

    @Test func existingSecretsReplaceTheChartsSecrets() async throws {
        let rendered = try await HelmCluster().render(values: """
        {"credentials": {"https": {"existingSecret": "git-token"}, "ssh": {"privateKey": ""}},
         "webhook": {"existingSecret": "hook-secret"}}
        """)
        #expect(!rendered.contains { $0["kind"] as? String == "Secret" }, "the chart creates no Secret")
        let container = try #require((try Objects.one(rendered, "Deployment")["spec", "template", "spec", "containers"] as? [[String: Any]])?.first)
        let references = ((container["env"] as? [[String: Any]]) ?? []).reduce(into: [String: String]()) { references, variable in
            if let name = variable["name"] as? String, let secret = variable["valueFrom", "secretKeyRef", "name"] as? String {
                references[name] = secret
            }
        }
        #expect(references == ["SERIN_GIT_TOKEN": "git-token", "SERIN_WEBHOOK_SECRET": "hook-secret"])
    }

    @Test func anExistingSSHSecretIsMountedForTheDeployKeyAndKnownHosts() async throws {
        let rendered = try await HelmCluster().render(values: #"{"credentials": {"method": "ssh", "ssh": {"existingSecret": "deploy-key"}}}"#)
        #expect(!rendered.contains { $0["kind"] as? String == "Secret" && ($0["metadata", "name"] as? String)?.hasSuffix("git-ssh") == true })
        let pod = try #require(try Objects.one(rendered, "Deployment")["spec", "template", "spec"] as? [String: Any])
        let volumes = (pod["volumes"] as? [[String: Any]]) ?? []
        #expect(volumes.contains { $0["name"] as? String == "git-ssh" && $0["secret", "secretName"] as? String == "deploy-key" }, "\(volumes)")
    }

    @Test func rbacCreateFalseRendersNoRoleOrBinding() async throws {
        let rendered = try await HelmCluster().render(values: #"{"rbac": {"create": false}}"#)
        let kinds = Set(rendered.compactMap { $0["kind"] as? String })
        #expect(kinds.isDisjoint(with: ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]), "\(kinds)")
        #expect(kinds.contains("ServiceAccount") && kinds.contains("Deployment"))
    }

    @Test func crdsInstallFalseLeavesTheCRDOut() async throws {
        let rendered = try await HelmCluster().render(values: #"{"crds": {"install": false}}"#)
        #expect(!rendered.contains { $0["kind"] as? String == "CustomResourceDefinition" })
    }

    @Test func crdsKeepAnnotatesTheCRDSoUninstallLeavesIt() async throws {
        let rendered = try await HelmCluster().render(values: #"{"crds": {"keep": true}}"#)
        let crd = try Objects.one(rendered, "CustomResourceDefinition")
        #expect(crd["metadata", "annotations", "helm.sh/resource-policy"] as? String == "keep")
    }

    @Test func objectNamesFollowAReleaseNamedOtherwise() async throws {
        let rendered = try await HelmCluster().render(release: "models")
        let names = Set(rendered.compactMap { $0["metadata", "name"] as? String })
        #expect(names.isSuperset(of: ["models-serin", "models-serin-config", "models-serin-git-https", "models-serin-webhook",
                                      "models-serin-leader-election"]), "\(names)")
        let binding = try Objects.one(rendered, "ClusterRoleBinding")
        #expect((binding["subjects"] as? [[String: Any]])?.first?["name"] as? String == "models-serin")
    }

    // MARK: Optional features

    @Test func theServiceMonitorScrapesMetricsThroughTheServiceWhenEnabled() async throws {
        let cluster = try await HelmCluster()
        try cluster.installPrometheusOperatorCRD()
        let rendered = try cluster.render(values: #"{"serviceMonitor": {"enabled": true, "interval": "15s", "labels": {"release": "prometheus"}}}"#)
        let monitor = try Objects.one(rendered, "ServiceMonitor")
        #expect(monitor["apiVersion"] as? String == "monitoring.coreos.com/v1")
        #expect(monitor["metadata", "labels", "release"] as? String == "prometheus")
        let service = try Objects.one(rendered, "Service")
        #expect(NSDictionary(dictionary: monitor["spec", "selector", "matchLabels"] as? [String: Any] ?? [:])
            .isEqual(to: service["spec", "selector"] as? [String: Any] ?? ["": ""]))
        let endpoint = try #require((monitor["spec", "endpoints"] as? [[String: Any]])?.first)
        #expect(endpoint["port"] as? String == "http" && endpoint["path"] as? String == "/metrics" && endpoint["interval"] as? String == "15s")
    }

    @Test func theDashboardConfigMapIsLabelledForGrafanaAndChartsRolloutsGatesAndSyncHealth() async throws {
        let rendered = try await HelmCluster().render(values: #"{"dashboard": {"enabled": true}}"#)
        let configMap = try #require(rendered.first { $0["kind"] as? String == "ConfigMap" && $0["metadata", "name"] as? String == "serin-dashboard" })
        #expect(configMap["metadata", "labels", "grafana_dashboard"] as? String == "1")
        let text = try #require((configMap["data"] as? [String: String])?["serin.json"])
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let panels = (dashboard["panels"] as? [[String: Any]]) ?? []
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]]) ?? [] }.compactMap { $0["expr"] as? String }
        for metric in ["serin_rollout_phase", "serin_rollout_canary_weight_ratio", "serin_gate_verdicts_total",
                       "serin_git_sync_last_success_timestamp_seconds", "serin_git_sync_failures_total",
                       "serin_git_sync_duration_seconds_bucket"] {
            #expect(expressions.contains { $0.contains(metric) }, "no panel shows \(metric)")
        }
        // Every metric the dashboard queries is one Serin exports (docs/metrics.md lists them all).
        let documented = try String(contentsOf: ClusterInstall.root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let used = Set(expressions.flatMap { expression in
            expression.matches(of: #/serin_[a-z_]+/#).map { String($0.output) }
        })
        for metric in used {
            let base = metric.replacing(#/_(bucket|sum|count)$/#, with: "")
            #expect(documented.contains("`\(base)`"), "\(metric) is not in docs/metrics.md")
        }
    }

    @Test func optionalFeaturesAreOffByDefault() async throws {
        let rendered = try await HelmCluster().render()
        #expect(!rendered.contains { $0["kind"] as? String == "ServiceMonitor" })
        #expect(!rendered.contains { $0["metadata", "labels", "grafana_dashboard"] != nil })
    }

    // MARK: Kubernetes schemas

    @Test(arguments: [
        #"{}"#,
        #"{"namespace": {"create": true}, "serviceMonitor": {"enabled": true}, "dashboard": {"enabled": true}, "crds": {"keep": true}}"#,
        #"{"rbac": {"namespaced": {"enabled": true}}, "credentials": {"method": "ssh"}, "prometheus": {"url": "http://prometheus:9090"}}"#,
    ])
    func everyRenderedObjectValidatesAgainstTheKubernetes132Schemas(_ values: String) async throws {
        let cluster = try await HelmCluster()
        if values.contains("serviceMonitor") { try cluster.installPrometheusOperatorCRD() }
        let rendered = try cluster.render(values: values, takeOwnership: values.contains(#""namespace": {"create": true}"#))
        let results = try Helm.validate(rendered)
        #expect(results.count == rendered.count)
        for result in results {
            let kind = result["kind"] as? String ?? "?"
            // The ServiceMonitor is a custom resource: no Kubernetes schema knows it.
            let wanted = kind == "ServiceMonitor" ? "no-schema" : "valid"
            #expect(result["result"] as? String == wanted, "\(kind) \(result["name"] ?? ""): \(result["errors"] ?? "")")
        }
    }

    @Test func theSchemaValidatorRejectsAnUnknownField() throws {
        // Guards the test above: validation is strict and real, not a pass for everything.
        let results = try Helm.validate([["apiVersion": "v1", "kind": "Service", "metadata": ["name": "s"],
                                          "spec": ["ports": [["port": 80]], "selectorr": ["a": "b"]]]])
        #expect(results.first?["result"] as? String == "invalid", "\(results)")
    }

    // MARK: Installing

    @Test func helmInstallWaitsUntilTheOperatorDeploymentIsReady() async throws {
        let cluster = try await HelmCluster()
        let install = try cluster.install(wait: true)
        #expect(install.status == 0, "\(install.errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(install.output.utf8)) as? [String: Any])
        #expect(result["status"] as? String == "deployed")
        let deployment = try cluster.object(["deployment", "serin", "-n", Self.releaseNamespace])
        #expect(deployment["status", "readyReplicas"] as? Int == 2)
        // Helm's own record of the release, in the release namespace.
        let secrets = try cluster.kubectl(["get", "secrets", "-n", Self.releaseNamespace, "-l", "owner=helm,name=serin", "-o", "name"])
        #expect(secrets.output.contains("secret/sh.helm.release.v1.serin.v1"), "\(secrets.output)")
        let crd = try cluster.kubectl(["get", "crd", "modeldeployments.serin.dev"])
        #expect(crd.status == 0, "\(crd.output)")
    }
}

/// The chart tests' Helm and schema validator: scripts/python/helm_chart.py in the repository's .venv.
enum Helm {
    static let python = ClusterInstall.root.appendingPathComponent(".venv/bin/python")
    static let script = ClusterInstall.root.appendingPathComponent("scripts/python/helm_chart.py")

    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the driver with `input` on its standard input; Helm's caches and configuration go to `home`.
    static func driver(_ arguments: [String], input: Data? = nil, home: URL? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw ClusterInstall.Failure(description: "no \(python.path): run scripts/install-python.sh (make test does)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("serin-helm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let errorsFile = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        let errorsHandle = try FileHandle(forWritingTo: errorsFile)
        defer { try? errorsHandle.close() }
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path] + arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": (home ?? scratch).path]
        let output = Pipe(), standardInput = Pipe()
        process.standardOutput = output
        process.standardInput = standardInput
        process.standardError = errorsHandle
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(input) }
        try standardInput.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), errors: errors)
    }

    /// The objects of a YAML stream, parsed.
    static func objects(ofYAML text: String) throws -> [[String: Any]] {
        let result = try driver(["objects"], input: Data(text.utf8))
        guard result.status == 0, let objects = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]] else {
            throw ClusterInstall.Failure(description: "helm_chart.py objects: \(result.errors)")
        }
        return objects
    }

    /// Each object's verdict against the Kubernetes 1.32 schemas: valid, invalid (with errors) or no-schema.
    static func validate(_ objects: [[String: Any]]) throws -> [[String: Any]] {
        // JSON is YAML: one document per object.
        let stream = try objects.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
            .joined(separator: "\n---\n")
        let result = try driver(["validate", "--kubernetes-version", "1.32.0"], input: Data(stream.utf8))
        guard let verdicts = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]] else {
            throw ClusterInstall.Failure(description: "helm_chart.py validate: \(result.output)\n\(result.errors)")
        }
        return verdicts
    }
}

/// The real kubectl's kustomize.
enum Kustomize {
    static func objects(_ directory: URL) throws -> [[String: Any]] {
        let rendered = try ClusterInstall.run("/usr/bin/kubectl", ["kustomize", directory.path])
        guard rendered.status == 0 else { throw ClusterInstall.Failure(description: "kubectl kustomize: \(rendered.output)") }
        return try Helm.objects(ofYAML: rendered.output)
    }
}

/// A fresh API emulator for one test: the namespaces serin-system (the release's) and ml (the models' in namespaced
/// mode), and Helm pointed at it through the emulator's kubeconfig.
final class HelmCluster {
    let directory: URL
    let kubeconfig: String
    let emulator: LoggedProcess

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-helm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        kubeconfig = directory.appendingPathComponent("kubeconfig").path
        emulator = try LoggedProcess(KubernetesRunTests.binaries.appendingPathComponent("kube-emulator"),
                                                arguments: ["--port", "0", "--kubeconfig-out", kubeconfig],
                                                environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path],
                                                log: directory.appendingPathComponent("emulator.log"))
        guard await emulator.line(containing: "kube-emulator serving") != nil else {
            throw ClusterInstall.Failure(description: "the emulator did not start: \(emulator.text)")
        }
        for namespace in [HelmChartTests.releaseNamespace, "ml"] {
            let created = try kubectl(["create", "namespace", namespace])
            guard created.status == 0 else { throw ClusterInstall.Failure(description: "kubectl create namespace: \(created.output)") }
        }
    }

    deinit {
        emulator.kill()
        try? FileManager.default.removeItem(at: directory)
    }

    func kubectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ClusterInstall.run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--cache-dir",
                                                    directory.appendingPathComponent("kubecache").path] + arguments)
    }

    func object(_ arguments: [String]) throws -> [String: Any] {
        let result = try kubectl(["get"] + arguments + ["-o", "json"])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw ClusterInstall.Failure(description: "kubectl get \(arguments.joined(separator: " ")): \(result.output)")
        }
        return object
    }

    /// `helm install` of charts/serin into serin-system.
    func install(release: String = "serin", values: String = "{}", wait: Bool = false, takeOwnership: Bool = false) throws -> Helm.Result {
        var arguments = ["install", HelmChartTests.chart.path, "--kubeconfig", kubeconfig, "--namespace",
                         HelmChartTests.releaseNamespace, "--release", release, "--values", values]
        if wait { arguments += ["--wait", "--timeout", "60"] }
        if takeOwnership { arguments.append("--take-ownership") }
        return try Helm.driver(arguments, home: directory)
    }

    /// What `helm template` would print for these values: the manifest of an install without --wait, parsed.
    func render(release: String = "serin", values: String = "{}", takeOwnership: Bool = false) throws -> [[String: Any]] {
        let install = try install(release: release, values: values, takeOwnership: takeOwnership)
        guard install.status == 0,
              let result = try JSONSerialization.jsonObject(with: Data(install.output.utf8)) as? [String: Any],
              let objects = result["objects"] as? [[String: Any]] else {
            throw ClusterInstall.Failure(description: "helm install \(values): \(install.errors)")
        }
        return objects
    }

    /// The Prometheus Operator's ServiceMonitor kind, reduced to what the API server needs to store one.
    func installPrometheusOperatorCRD() throws {
        let file = directory.appendingPathComponent("servicemonitors.yaml")
        try Data("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: servicemonitors.monitoring.coreos.com}
        spec:
          group: monitoring.coreos.com
          scope: Namespaced
          names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}

        """.utf8).write(to: file)
        let applied = try kubectl(["apply", "-f", file.path])
        guard applied.status == 0 else { throw ClusterInstall.Failure(description: "kubectl apply: \(applied.output)") }
    }
}

/// Comparing rendered objects.
enum Objects {
    static func key(_ object: [String: Any]) -> String {
        "\(object["kind"] as? String ?? "?") \(object["metadata", "namespace"] as? String ?? "-")/\(object["metadata", "name"] as? String ?? "?")"
    }

    static func json(_ object: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "\(object)"
    }

    /// Expects the same objects, each equal as parsed data (field order and YAML spelling aside).
    static func expectSame(_ rendered: [[String: Any]], _ expected: [[String: Any]],
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let renderedByKey = Dictionary(rendered.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let expectedByKey = Dictionary(expected.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        #expect(rendered.count == renderedByKey.count, "an object rendered twice", sourceLocation: sourceLocation)
        #expect(Set(renderedByKey.keys) == Set(expectedByKey.keys),
                "only the chart: \(Set(renderedByKey.keys).subtracting(expectedByKey.keys).sorted()); only manifests/: \(Set(expectedByKey.keys).subtracting(renderedByKey.keys).sorted())",
                sourceLocation: sourceLocation)
        for (name, object) in renderedByKey.sorted(by: { $0.key < $1.key }) {
            guard let wanted = expectedByKey[name] else { continue }
            #expect(NSDictionary(dictionary: object).isEqual(to: wanted),
                    "\(name) differs:\nchart: \(json(object))\nmanifests/: \(json(wanted))", sourceLocation: sourceLocation)
        }
    }

    static func one(_ objects: [[String: Any]], _ kind: String) throws -> [String: Any] {
        let matching = objects.filter { $0["kind"] as? String == kind }
        guard matching.count == 1 else {
            throw ClusterInstall.Failure(description: "\(matching.count) objects of kind \(kind): \(objects.map(key))")
        }
        return matching[0]
    }

    /// The names of the first container's environment variables.
    static func environment(of deployment: [String: Any]) -> [String] {
        let containers = (deployment["spec", "template", "spec", "containers"] as? [[String: Any]]) ?? []
        return ((containers.first?["env"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }

    /// A Deployment with its pod's volumes and its containers' environment variables and volume mounts sorted by
    /// name (lists Kubernetes merges by name, whose order means nothing), without the variables `dropping`; any
    /// other object as it is.
    static func sortingNamedLists(_ object: [String: Any], dropping: Set<String>) -> [String: Any] {
        guard object["kind"] as? String == "Deployment",
              var spec = object["spec"] as? [String: Any], var template = spec["template"] as? [String: Any],
              var pod = template["spec"] as? [String: Any], let containers = pod["containers"] as? [[String: Any]] else { return object }
        func sorted(_ list: Any?, dropping: Set<String> = []) -> [[String: Any]]? {
            (list as? [[String: Any]])?.filter { !dropping.contains($0["name"] as? String ?? "") }
                .sorted { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        }
        pod["containers"] = containers.map { container in
            var container = container
            container["env"] = sorted(container["env"], dropping: dropping)
            container["volumeMounts"] = sorted(container["volumeMounts"])
            return container
        }
        pod["volumes"] = sorted(pod["volumes"])
        template["spec"] = pod
        spec["template"] = template
        var object = object
        object["spec"] = spec
        return object
    }
}
