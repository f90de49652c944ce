import Foundation
import SerinCore
import SerinHTTP
import SerinKube
import Testing

/// A scratch directory per test, removed afterwards.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-kube-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

private let caPEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
private let keyPEM = "-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n"
private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

private func parse(_ text: String, context: String? = nil, directory: String = "/nonexistent") throws(KubeConfigError) -> KubeConfiguration {
    try KubeConfiguration.kubeconfig(text: Array(text.utf8), path: "test-kubeconfig", directory: directory, context: context)
}

private func configError(_ text: String, context: String? = nil) -> KubeConfigError? {
    do { _ = try parse(text, context: context); return nil } catch { return error }
}

@Suite("Kubeconfig parsing")
struct KubeconfigParsingTests {
    static let twoContexts = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: dev-cluster
          cluster:
            server: https://dev.example:6443
            certificate-authority-data: \(base64(caPEM))
            tls-server-name: kubernetes.default
        - name: prod-cluster
          cluster:
            server: https://prod.example:443/
            insecure-skip-tls-verify: true
        users:
        - name: dev-user
          user:
            token: dev-secret-token
        - name: prod-user
          user:
            username: admin
            password: hunter2
        contexts:
        - name: dev
          context:
            cluster: dev-cluster
            user: dev-user
            namespace: ml-dev
        - name: prod
          context:
            cluster: prod-cluster
            user: prod-user
        """

    @Test func currentContextSelectsClusterUserAndNamespace() throws {
        let config = try parse(Self.twoContexts)
        #expect(config.server == "https://dev.example:6443")
        #expect(config.namespace == "ml-dev")
        #expect(config.credentials == .bearerToken("dev-secret-token"))
        #expect(config.tls.certificateAuthority == .data(Array(caPEM.utf8)))
        #expect(config.tls.serverName == "kubernetes.default")
        #expect(config.tls.insecureSkipVerify == false)
    }

    @Test func explicitContextOverridesCurrentContext() throws {
        let config = try parse(Self.twoContexts, context: "prod")
        #expect(config.server == "https://prod.example:443")
        #expect(config.namespace == "default")
        #expect(config.credentials == .basic(username: "admin", password: "hunter2"))
        #expect(config.tls.insecureSkipVerify)
    }

    @Test func tlsVerificationStaysOnUnlessTheKubeconfigTurnsItOff() throws {
        let config = try parse("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        #expect(config.tls.insecureSkipVerify == false)
        #expect(config.tls.certificateAuthority == nil)
    }

    @Test func fileReferencesResolveAgainstTheKubeconfigDirectory() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("certs/ca.crt", caPEM)
        try scratch.write("certs/client.crt", caPEM)
        try scratch.write("certs/client.key", keyPEM)
        let path = try scratch.write("config", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443", certificate-authority: certs/ca.crt}}]
            users: [{name: u, user: {client-certificate: certs/client.crt, client-key: certs/client.key}}]
            contexts: [{name: c, context: {cluster: k, user: u, namespace: team}}]
            """)
        let config = try KubeConfiguration.kubeconfig(path: path)
        #expect(config.tls.certificateAuthority == .file(scratch.path + "/certs/ca.crt"))
        #expect(config.credentials == .clientCertificate(certificate: .file(scratch.path + "/certs/client.crt"),
                                                          key: .file(scratch.path + "/certs/client.key")))
        #expect(config.namespace == "team")
    }

    @Test func clientCertificateDataIsDecodedFromBase64() throws {
        let config = try parse("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {client-certificate-data: \(base64(caPEM)), client-key-data: \(base64(keyPEM))}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        #expect(config.credentials == .clientCertificate(certificate: .data(Array(caPEM.utf8)), key: .data(Array(keyPEM.utf8))))
    }

    @Test func tokenFileWinsOverAnInlineTokenAndKeepsItAsFallback() throws {
        let config = try parse("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {token: inline, tokenFile: /var/token}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        #expect(config.credentials == .bearerTokenFile(path: "/var/token", fallback: "inline"))
    }

    @Test func credentialDescriptionsNeverContainSecrets() throws {
        let token = try parse(Self.twoContexts).credentials
        let basic = try parse(Self.twoContexts, context: "prod").credentials
        #expect(!"\(token)".contains("dev-secret-token"))
        #expect(!"\(basic)".contains("hunter2"))
        let config = try parse(Self.twoContexts)
        #expect(!"\(config)".contains("dev-secret-token"))
        #expect(!String(reflecting: config).contains("dev-secret-token"))
    }

    @Test func missingCurrentContextNamesTheField() throws {
        let error = try #require(configError("""
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """))
        #expect(error.file == "test-kubeconfig")
        #expect(error.field == "current-context")
        #expect(error.description.contains("current-context"))
    }

    @Test func unknownContextListsTheKnownOnes() throws {
        let error = try #require(configError(Self.twoContexts, context: "staging"))
        #expect(error.field == "contexts")
        #expect(error.message.contains("\"staging\""))
        #expect(error.message.contains("\"dev\", \"prod\""))
    }

    @Test func contextNamingAMissingClusterPointsAtTheContextField() throws {
        let error = try #require(configError("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            contexts:
            - name: c
              context: {cluster: nope}
            """))
        #expect(error.field == "contexts[0].context.cluster")
        #expect(error.message.contains("\"nope\""))
    }

    @Test func missingServerGivesFieldAndLine() throws {
        let error = try #require(configError("""
            current-context: c
            clusters:
            - name: k
              cluster:
                certificate-authority-data: \(base64(caPEM))
            contexts: [{name: c, context: {cluster: k}}]
            """))
        #expect(error.field == "clusters[0].cluster.server")
        #expect(error.mark?.line == 5)
        #expect(error.description.hasPrefix("test-kubeconfig:5:"))
    }

    @Test func invalidBase64IsReportedWithItsPosition() throws {
        let error = try #require(configError("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users:
            - name: u
              user:
                client-certificate-data: "not base64!!"
                client-key-data: \(base64(keyPEM))
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """))
        #expect(error.field == "users[0].user.client-certificate-data")
        #expect(error.mark == SourceMark(line: 6, column: 30))
    }

    @Test func certificateWithoutKeyIsRefused() throws {
        let error = try #require(configError("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {client-certificate-data: \(base64(caPEM))}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """))
        #expect(error.field == "users[0].user.client-key")
    }

    @Test func insecureTogetherWithACertificateAuthorityIsRefused() throws {
        let error = try #require(configError("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443", insecure-skip-tls-verify: true, certificate-authority-data: \(base64(caPEM))}}]
            contexts: [{name: c, context: {cluster: k}}]
            """))
        #expect(error.field == "clusters[0].cluster.insecure-skip-tls-verify")
    }

    @Test func brokenYAMLGivesLineAndColumn() throws {
        let error = try #require(configError("current-context: c\nclusters: [unclosed\n"))
        #expect(error.mark != nil)
        #expect(error.field == nil)
        #expect(error.message.contains("invalid YAML"))
    }

    @Test func execPluginsNeedAnAPIVersion() throws {
        let error = try #require(configError("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {exec: {command: aws}}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """))
        #expect(error.field == "users[0].user.exec.apiVersion")
        #expect(error.message == "is missing; expected one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1")
    }

    @Test func execPluginsThatInsistOnATerminalAreRefused() throws {
        let error = try #require(configError("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin, interactiveMode: Always}}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """))
        #expect(error.field == "users[0].user.exec.interactiveMode")
    }

    @Test func execPluginReadsCommandArgumentsEnvironmentAndResolvesARelativeCommand() throws {
        let config = try parse("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./bin/get-token
                  args: [eks, get-token, --cluster-name, prod]
                  env: [{name: AWS_PROFILE, value: ml}]
                  installHint: install the AWS CLI
                  provideClusterInfo: true
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """, directory: "/etc/serin")
        #expect(config.credentials == .exec(ExecCredentialPlugin(
            command: "/etc/serin/./bin/get-token", arguments: ["eks", "get-token", "--cluster-name", "prod"],
            environment: ["AWS_PROFILE": "ml"], apiVersion: "client.authentication.k8s.io/v1beta1",
            installHint: "install the AWS CLI", provideClusterInfo: true)))
        #expect(config.credentials.description == "credentials from the exec plugin /etc/serin/./bin/get-token")
    }

    @Test func missingKubeconfigFileNamesThePath() throws {
        do {
            _ = try KubeConfiguration.kubeconfig(path: "/nonexistent/kubeconfig")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "/nonexistent/kubeconfig")
            #expect(error.description.contains("missing or unreadable"))
        }
    }

    @Test func kubeconfigEnvironmentVariableWinsOverInClusterAndSkipsMissingFiles() throws {
        let scratch = try ScratchDirectory()
        let first = try scratch.write("first", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://first:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        let config = try KubeConfiguration.load(environment: ["KUBECONFIG": "\(first):/nonexistent/second", "KUBERNETES_SERVICE_HOST": "10.0.0.1"])
        #expect(config.server == "https://first:6443")
    }

    @Test func kubeconfigListsMergeWithTheFirstDefinitionWinning() throws {
        let scratch = try ScratchDirectory()
        // Contexts in one file, clusters in another, users in a third with a relative token file: kubectl's usual
        // split. The second file's "k" cluster and current-context lose to the first file's.
        let contexts = try scratch.write("a/contexts", """
            current-context: work
            contexts: [{name: work, context: {cluster: k, user: u, namespace: ml}}]
            clusters: [{name: k, cluster: {server: "https://winner:6443"}}]
            """)
        let clusters = try scratch.write("b/clusters", """
            current-context: other
            clusters: [{name: k, cluster: {server: "https://loser:6443"}}, {name: unused, cluster: {server: "https://x"}}]
            """)
        let users = try scratch.write("c/users", """
            users: [{name: u, user: {tokenFile: token}}]
            """)
        try scratch.write("c/token", "secret")
        let config = try KubeConfiguration.load(environment: ["KUBECONFIG": "\(contexts):\(clusters):\(users)"])
        #expect(config.server == "https://winner:6443")
        #expect(config.namespace == "ml")
        #expect(config.credentials == .bearerTokenFile(path: scratch.path + "/c/token", fallback: nil))
        #expect(config.source == "\(contexts):\(clusters):\(users) (context work)")
    }

    @Test func anEntryMissingFromEveryMergedFileIsNamedWithWhatWasFound() throws {
        let scratch = try ScratchDirectory()
        let one = try scratch.write("one", "current-context: c\ncontexts: [{name: c, context: {cluster: gone}}]\n")
        let two = try scratch.write("two", "clusters: [{name: k, cluster: {server: \"https://k\"}}]\n")
        do {
            _ = try KubeConfiguration.kubeconfig(paths: [one, two])
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "\(one): contexts[0].context.cluster: names \"gone\", which is not among clusters (found \"k\")")
        }
    }

    @Test func aKubeconfigListOfOnlyMissingFilesIsAnError() {
        #expect(throws: KubeConfigError.self) {
            try KubeConfiguration.load(environment: ["KUBECONFIG": "/nonexistent/a:/nonexistent/b"])
        }
    }
}

@Suite("In-cluster configuration")
struct InClusterConfigurationTests {
    func serviceAccount(namespace: String? = "ml-prod") throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        try scratch.write("token", "pod-token\n")
        try scratch.write("ca.crt", caPEM)
        if let namespace { try scratch.write("namespace", namespace) }
        return scratch
    }

    @Test func readsServiceHostPortTokenCAAndNamespace() throws {
        let scratch = try serviceAccount()
        let config = try KubeConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: scratch.path)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "ml-prod")
        #expect(config.credentials == .bearerTokenFile(path: scratch.path + "/token", fallback: nil))
        #expect(config.tls.certificateAuthority == .file(scratch.path + "/ca.crt"))
        #expect(config.tls.insecureSkipVerify == false)
    }

    @Test func bracketsAnIPv6ServiceHost() throws {
        let scratch = try serviceAccount(namespace: nil)
        let config = try KubeConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: scratch.path)
        #expect(config.server == "https://[fd00::1]:6443")
        #expect(config.namespace == "default")
    }

    @Test func missingTokenFileIsNamed() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("ca.crt", caPEM)
        do {
            _ = try KubeConfiguration.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                serviceAccountDirectory: scratch.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == scratch.path + "/token")
        }
    }

    @Test func missingServicePortIsNamed() throws {
        let scratch = try serviceAccount()
        do {
            _ = try KubeConfiguration.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1"],
                                                serviceAccountDirectory: scratch.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "KUBERNETES_SERVICE_PORT")
        }
    }

    @Test func loadPrefersInClusterWhenKubeconfigIsUnset() throws {
        let scratch = try serviceAccount()
        let config = try KubeConfiguration.load(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": "/nonexistent"],
            serviceAccountDirectory: scratch.path)
        #expect(config.source == "in-cluster")
    }
}
