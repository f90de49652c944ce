import Foundation
import SerinCore
import SerinHTTP

/// How the client proves who it is. Secrets are held here and never appear in any description or log line.
public enum KubeCredentials: Sendable, Hashable {
    case none
    /// A fixed bearer token (kubeconfig `token`).
    case bearerToken(String)
    /// A bearer token read from a file and re-read when it changes (projected service-account tokens rotate about
    /// hourly). `fallback` is the kubeconfig's inline token, used only if the file cannot be read.
    case bearerTokenFile(path: String, fallback: String?)
    /// A TLS client certificate and its key.
    case clientCertificate(certificate: PEMSource, key: PEMSource)
    /// HTTP basic authentication (kubeconfig `username`/`password`).
    case basic(username: String, password: String)
    /// A credential plugin run on demand (kubeconfig `exec`).
    case exec(ExecCredentialPlugin)
}

extension KubeCredentials: CustomStringConvertible, CustomDebugStringConvertible {
    public var debugDescription: String { description }

    /// Names the kind of credential only: tokens and passwords never leave this type through a description.
    public var description: String {
        switch self {
        case .none: "no credentials"
        case .bearerToken: "a bearer token"
        case .bearerTokenFile(let path, _): "a bearer token from \(path)"
        case .clientCertificate: "a client certificate"
        case .basic(let username, _): "basic authentication as \(username)"
        case .exec(let plugin): "credentials from the exec plugin \(plugin.command)"
        }
    }
}

/// Everything the client needs to reach one API server: address, trust, identity, default namespace and limits.
public struct KubeConfiguration: Sendable, Hashable {
    /// The API server's base URL without a trailing slash, e.g. `https://10.0.0.1:443`.
    public var server: String
    /// The namespace used when a call on a namespaced resource names none.
    public var namespace: String
    public var tls: TLSOptions
    public var credentials: KubeCredentials
    /// Time allowed to establish a connection (TCP and TLS).
    public var connectTimeout: Duration
    /// Time allowed for a whole non-watch request. Watches are bounded by their `timeoutSeconds` instead.
    public var requestTimeout: Duration
    /// The largest non-watch response body accepted; a larger one fails rather than exhausting memory.
    public var maxResponseBytes: Int
    /// Where the configuration came from, for messages ("in-cluster", or the kubeconfig's path and context).
    public var source: String

    public init(server: String, namespace: String = "default", tls: TLSOptions = TLSOptions(),
                credentials: KubeCredentials = .none, connectTimeout: Duration = .seconds(10),
                requestTimeout: Duration = .seconds(60), maxResponseBytes: Int = 64 << 20, source: String = "explicit") {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.namespace = namespace
        self.tls = tls
        self.credentials = credentials
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.source = source
    }
}

extension KubeConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The server, namespace, source and kind of credentials: never a secret.
    public var description: String {
        "\(server) (namespace \(namespace), \(credentials), from \(source)\(tls.insecureSkipVerify ? ", TLS NOT VERIFIED" : ""))"
    }

    public var debugDescription: String { description }
}

/// Why no configuration could be built: which file, which field, where in the file when known, and what to do.
public struct KubeConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file at fault (a kubeconfig or a service-account file), or an environment variable's name.
    public var file: String
    /// The field at fault, as a path (`users[0].user.client-key-data`), or nil when the file as a whole is.
    public var field: String?
    public var mark: SourceMark?
    public var message: String

    public init(file: String, field: String? = nil, mark: SourceMark? = nil, message: String) {
        self.file = file
        self.field = field
        self.mark = mark
        self.message = message
    }

    public var description: String {
        var text = file
        if let mark { text += ":\(mark.line):\(mark.column)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }
}

// MARK: Loading

extension KubeConfiguration {
    /// The directory Kubernetes mounts a pod's service-account token, CA and namespace into.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration client-go would pick: `$KUBECONFIG` when set (a `:`-separated list of files, merged as
    /// kubectl merges them), else in-cluster when `KUBERNETES_SERVICE_HOST` is set, else `~/.kube/config`.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            context: String? = nil,
                            serviceAccountDirectory: String = defaultServiceAccountDirectory) throws(KubeConfigError) -> KubeConfiguration {
        let listed = (environment["KUBECONFIG"] ?? "").split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        if !listed.isEmpty {
            return try kubeconfig(paths: listed, context: context)
        }
        if environment["KUBERNETES_SERVICE_HOST"].map({ !$0.isEmpty }) == true {
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = home + "/.kube/config"
        guard FileManager.default.fileExists(atPath: path) else {
            throw KubeConfigError(file: path, message:
                "no Kubernetes configuration found: set KUBECONFIG, run inside a pod, or create ~/.kube/config")
        }
        return try kubeconfig(path: path, context: context)
    }

    /// The configuration of a pod: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT` (an IPv6 address is
    /// bracketed), the token file as a rotating bearer token, `ca.crt` as the only trusted CA, and the pod's namespace.
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 serviceAccountDirectory: String = defaultServiceAccountDirectory) throws(KubeConfigError) -> KubeConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeConfigError(file: "KUBERNETES_SERVICE_HOST", message:
                "is not set: not running inside a Kubernetes pod; use a kubeconfig instead")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError(file: "KUBERNETES_SERVICE_PORT", message:
                "is not set while KUBERNETES_SERVICE_HOST is; both come from the pod's environment")
        }
        guard let portNumber = Int(port), (1...65_535).contains(portNumber) else {
            throw KubeConfigError(file: "KUBERNETES_SERVICE_PORT", message: "found \"\(port)\", expected a port number")
        }
        let directory = serviceAccountDirectory.hasSuffix("/") ? String(serviceAccountDirectory.dropLast()) : serviceAccountDirectory
        let tokenPath = directory + "/token"
        let caPath = directory + "/ca.crt"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError(file: tokenPath, message:
                "the service-account token is missing or unreadable; check the pod's automountServiceAccountToken")
        }
        guard FileManager.default.isReadableFile(atPath: caPath) else {
            throw KubeConfigError(file: caPath, message: "the cluster CA certificate is missing or unreadable")
        }
        var namespace = "default"
        if let data = FileManager.default.contents(atPath: directory + "/namespace") {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { namespace = text }
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return KubeConfiguration(server: "https://\(hostPart):\(portNumber)", namespace: namespace,
                                 tls: TLSOptions(certificateAuthority: .file(caPath)),
                                 credentials: .bearerTokenFile(path: tokenPath, fallback: nil), source: "in-cluster")
    }

    /// Reads a kubeconfig file and resolves its current context (or `context`, when given).
    public static func kubeconfig(path: String, context: String? = nil) throws(KubeConfigError) -> KubeConfiguration {
        try kubeconfig(paths: [path], context: context)
    }

    /// Reads several kubeconfig files as one, the way kubectl merges `$KUBECONFIG`: the first file that sets
    /// `current-context` decides it, and where two files define a cluster, user or context of the same name, the
    /// first file's wins. Files that do not exist are skipped, unless none does. Relative paths in an entry resolve
    /// against the directory of the file that defines it.
    public static func kubeconfig(paths: [String], context: String? = nil) throws(KubeConfigError) -> KubeConfiguration {
        var files: [KubeconfigFile] = []
        for path in paths where FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubeConfigError(file: path, message: "cannot read the kubeconfig: the file is unreadable")
            }
            files.append(try KubeconfigFile(text: Array(data), path: path, directory: (path as NSString).deletingLastPathComponent))
        }
        guard !files.isEmpty else {
            let names = paths.joined(separator: ":")
            throw KubeConfigError(file: names, message: paths.count == 1
                ? "cannot read the kubeconfig: the file is missing or unreadable"
                : "none of the kubeconfig files exists")
        }
        return try KubeconfigResolver(files: files).resolve(context: context)
    }

    /// Parses kubeconfig text. `path` names the file in errors; relative file references resolve against `directory`.
    public static func kubeconfig(text: [UInt8], path: String, directory: String, context: String? = nil) throws(KubeConfigError) -> KubeConfiguration {
        try KubeconfigResolver(files: [KubeconfigFile(text: text, path: path, directory: directory)]).resolve(context: context)
    }
}

/// One parsed kubeconfig file.
private struct KubeconfigFile {
    let reader: KubeconfigReader
    let top: Mapping

    init(text: [UInt8], path: String, directory: String) throws(KubeConfigError) {
        reader = KubeconfigReader(file: path, directory: directory)
        let stream = YAMLReader.read(text)
        if let error = stream.error {
            throw KubeConfigError(file: path, mark: error.mark, message: error.message + (error.hint.map { "; \($0)" } ?? ""))
        }
        guard let root = stream.documents.first?.root, case .mapping(let pairs) = root.content else {
            throw KubeConfigError(file: path, message: "the kubeconfig is empty or not a mapping; expected clusters, users and contexts")
        }
        top = Mapping(pairs: pairs, node: root)
    }
}

/// Resolves the selected context across one or more files, first definition winning.
private struct KubeconfigResolver {
    let files: [KubeconfigFile]

    func resolve(context requested: String?) throws(KubeConfigError) -> KubeConfiguration {
        let contextName: String
        var contextField = "current-context"
        if let requested {
            contextName = requested
            contextField = "contexts"
        } else {
            var current: String?
            for file in files {
                if let value = try file.reader.string(file.top, "current-context", path: "current-context"), !value.isEmpty {
                    current = value
                    break
                }
            }
            guard let current else {
                let first = files[0]
                throw first.reader.fail("current-context", first.top.node,
                                        "is not set; set it (kubectl config use-context NAME) or choose a context explicitly")
            }
            contextName = current
        }

        let context = try named(list: "contexts", item: "context", name: contextName, referencedBy: (files[0].reader, contextField))
        let contextMap = try context.reader.mapping(context.node, context.path)
        guard let clusterName = try context.reader.string(contextMap, "cluster", path: context.path + ".cluster"), !clusterName.isEmpty else {
            throw context.reader.fail(context.path + ".cluster", context.node, "is missing; a context must name a cluster")
        }
        let userName = try context.reader.string(contextMap, "user", path: context.path + ".user")
        let namespace = try context.reader.string(contextMap, "namespace", path: context.path + ".namespace")
            .flatMap { $0.isEmpty ? nil : $0 } ?? "default"

        let cluster = try named(list: "clusters", item: "cluster", name: clusterName, referencedBy: (context.reader, context.path + ".cluster"))
        let (server, tls) = try cluster.reader.cluster(try cluster.reader.mapping(cluster.node, cluster.path), node: cluster.node, path: cluster.path)

        var credentials = KubeCredentials.none
        if let userName, !userName.isEmpty {
            let user = try named(list: "users", item: "user", name: userName, referencedBy: (context.reader, context.path + ".user"))
            credentials = try user.reader.credentials(try user.reader.mapping(user.node, user.path), node: user.node, path: user.path)
        }
        let source = files.count == 1 ? files[0].reader.file : files.map(\.reader.file).joined(separator: ":")
        return KubeConfiguration(server: server, namespace: namespace, tls: tls, credentials: credentials,
                                 source: "\(source) (context \(contextName))")
    }

    /// The first `list[i].item` named `name` in any file, with the file that defines it.
    func named(list: String, item: String, name: String, referencedBy: (reader: KubeconfigReader, field: String))
        throws(KubeConfigError) -> (reader: KubeconfigReader, node: YAMLNode, path: String) {
        var known: [String] = []
        var firstList: YAMLNode?
        for file in files {
            guard let listNode = file.top.value(list), !listNode.isNull else { continue }
            firstList = firstList ?? listNode
            guard case .sequence(let entries) = listNode.content else {
                throw file.reader.fail(list, listNode, "expected a list of {name, \(item)} entries")
            }
            for (index, entry) in entries.enumerated() {
                let entryPath = "\(list)[\(index)]"
                let map = try file.reader.mapping(entry, entryPath)
                let entryName = try file.reader.string(map, "name", path: entryPath + ".name") ?? ""
                known.append(entryName)
                guard entryName == name else { continue }
                guard let itemNode = map.value(item), !itemNode.isNull else {
                    throw file.reader.fail(entryPath + "." + item, entry, "is missing")
                }
                return (file.reader, itemNode, entryPath + "." + item)
            }
        }
        guard firstList != nil else {
            throw referencedBy.reader.fail(list, nil, "is missing; \(referencedBy.field) refers to \"\(name)\"")
        }
        let names = known.isEmpty ? "none" : known.map { "\"\($0)\"" }.joined(separator: ", ")
        throw referencedBy.reader.fail(referencedBy.field, nil, "names \"\(name)\", which is not among \(list) (found \(names))")
    }
}

/// Walks a kubeconfig's YAML tree, resolving the selected context into a `KubeConfiguration`.
private struct KubeconfigReader {
    let file: String
    let directory: String

    func fail(_ field: String?, _ node: YAMLNode?, _ message: String) -> KubeConfigError {
        KubeConfigError(file: file, field: field, mark: node?.mark, message: message)
    }

    /// The server and TLS settings of a `clusters[i].cluster` entry.
    func cluster(_ cluster: Mapping, node clusterNode: YAMLNode, path clusterPath: String) throws(KubeConfigError) -> (String, TLSOptions) {
        guard let server = try string(cluster, "server", path: clusterPath + ".server"), !server.isEmpty else {
            throw fail(clusterPath + ".server", clusterNode, "is missing; expected the API server's URL, e.g. https://host:6443")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw fail(clusterPath + ".server", cluster.value("server"), "found \"\(server)\", expected an https:// or http:// URL")
        }
        var tls = TLSOptions()
        tls.certificateAuthority = try pem(cluster, file: "certificate-authority", data: "certificate-authority-data", path: clusterPath)
        if let insecureNode = cluster.value("insecure-skip-tls-verify") {
            guard let text = insecureNode.scalarText, text == "true" || text == "false" else {
                throw fail(clusterPath + ".insecure-skip-tls-verify", insecureNode, "expected true or false")
            }
            tls.insecureSkipVerify = text == "true"
            if tls.insecureSkipVerify && tls.certificateAuthority != nil {
                throw fail(clusterPath + ".insecure-skip-tls-verify", insecureNode,
                           "cannot be true together with a certificate authority; remove one of them")
            }
        }
        tls.serverName = try string(cluster, "tls-server-name", path: clusterPath + ".tls-server-name").flatMap { $0.isEmpty ? nil : $0 }
        return (server, tls)
    }

    func credentials(_ user: Mapping, node: YAMLNode, path: String) throws(KubeConfigError) -> KubeCredentials {
        if let execNode = user.value("exec"), !execNode.isNull {
            return .exec(try execPlugin(try mapping(execNode, path + ".exec"), node: execNode, path: path + ".exec"))
        }
        if user.value("auth-provider") != nil {
            throw fail(path + ".auth-provider", user.value("auth-provider"), "auth providers are not supported; use a token, tokenFile or client certificate")
        }
        let token = try string(user, "token", path: path + ".token").flatMap { $0.isEmpty ? nil : $0 }
        if let tokenFile = try string(user, "tokenFile", path: path + ".tokenFile"), !tokenFile.isEmpty {
            return .bearerTokenFile(path: resolve(tokenFile), fallback: token)
        }
        if let token { return .bearerToken(token) }
        let certificate = try pem(user, file: "client-certificate", data: "client-certificate-data", path: path)
        let key = try pem(user, file: "client-key", data: "client-key-data", path: path)
        switch (certificate, key) {
        case (let certificate?, let key?): return .clientCertificate(certificate: certificate, key: key)
        case (.some, nil):
            throw fail(path + ".client-key", node, "is missing; a client certificate needs its key (client-key or client-key-data)")
        case (nil, .some):
            throw fail(path + ".client-certificate", node, "is missing; a client key needs its certificate (client-certificate or client-certificate-data)")
        case (nil, nil): break
        }
        let username = try string(user, "username", path: path + ".username")
        let password = try string(user, "password", path: path + ".password")
        if let username, !username.isEmpty {
            guard let password else { throw fail(path + ".password", node, "is missing; basic authentication needs a password") }
            return .basic(username: username, password: password)
        }
        return .none
    }

    /// A `user.exec` entry. Interactive plugins cannot work in an unattended operator, so `interactiveMode: Always`
    /// is refused here rather than left to hang.
    func execPlugin(_ exec: Mapping, node: YAMLNode, path: String) throws(KubeConfigError) -> ExecCredentialPlugin {
        guard let command = try string(exec, "command", path: path + ".command"), !command.isEmpty else {
            throw fail(path + ".command", node, "is missing; expected the credential plugin's command")
        }
        guard let apiVersion = try string(exec, "apiVersion", path: path + ".apiVersion"), !apiVersion.isEmpty else {
            throw fail(path + ".apiVersion", node, "is missing; expected one of \(ExecCredentialPlugin.supportedAPIVersions.joined(separator: ", "))")
        }
        guard ExecCredentialPlugin.supportedAPIVersions.contains(apiVersion) else {
            throw fail(path + ".apiVersion", exec.value("apiVersion"),
                       "found \"\(apiVersion)\", expected one of \(ExecCredentialPlugin.supportedAPIVersions.joined(separator: ", "))")
        }
        if try string(exec, "interactiveMode", path: path + ".interactiveMode") == "Always" {
            throw fail(path + ".interactiveMode", exec.value("interactiveMode"),
                       "is Always, but Serin runs unattended and cannot answer a plugin's prompts; use a plugin mode that needs no terminal")
        }
        var arguments: [String] = []
        if let argsNode = exec.value("args"), !argsNode.isNull {
            guard case .sequence(let items) = argsNode.content else { throw fail(path + ".args", argsNode, "expected a list of strings") }
            for (index, item) in items.enumerated() {
                guard let text = item.scalarText else { throw fail("\(path).args[\(index)]", item, "expected a string") }
                arguments.append(text)
            }
        }
        var environment: [String: String] = [:]
        if let envNode = exec.value("env"), !envNode.isNull {
            guard case .sequence(let items) = envNode.content else { throw fail(path + ".env", envNode, "expected a list of {name, value}") }
            for (index, item) in items.enumerated() {
                let itemPath = "\(path).env[\(index)]"
                let entry = try mapping(item, itemPath)
                guard let name = try string(entry, "name", path: itemPath + ".name"), !name.isEmpty else {
                    throw fail(itemPath + ".name", item, "is missing")
                }
                environment[name] = try string(entry, "value", path: itemPath + ".value") ?? ""
            }
        }
        let provide = exec.value("provideClusterInfo")?.scalarText == "true"
        let resolved = command.contains("/") ? resolve(command) : command
        return ExecCredentialPlugin(command: resolved, arguments: arguments, environment: environment, apiVersion: apiVersion,
                                    installHint: try string(exec, "installHint", path: path + ".installHint"),
                                    provideClusterInfo: provide)
    }

    /// A PEM from a file path field or a base64 data field (data wins, as in client-go).
    func pem(_ map: Mapping, file fileKey: String, data dataKey: String, path: String) throws(KubeConfigError) -> PEMSource? {
        if let encoded = try string(map, dataKey, path: path + "." + dataKey), !encoded.isEmpty {
            let compact = encoded.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact) else {
                throw fail(path + "." + dataKey, map.value(dataKey), "is not valid base64; expected base64-encoded PEM")
            }
            let bytes = Array(decoded)
            guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN ") else {
                throw fail(path + "." + dataKey, map.value(dataKey), "does not decode to PEM (no -----BEGIN line)")
            }
            return .data(bytes)
        }
        if let filePath = try string(map, fileKey, path: path + "." + fileKey), !filePath.isEmpty {
            let resolved = resolve(filePath)
            guard FileManager.default.isReadableFile(atPath: resolved) else {
                throw fail(path + "." + fileKey, map.value(fileKey), "the file \(resolved) is missing or unreadable")
            }
            return .file(resolved)
        }
        return nil
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst(1) }
        return directory + "/" + path
    }

    func mapping(_ node: YAMLNode, _ path: String) throws(KubeConfigError) -> Mapping {
        guard case .mapping(let pairs) = node.content else { throw fail(path, node, "expected a mapping") }
        return Mapping(pairs: pairs, node: node)
    }

    func string(_ map: Mapping, _ key: String, path: String) throws(KubeConfigError) -> String? {
        guard let node = map.value(key), !node.isNull else { return nil }
        guard let text = node.scalarText else { throw fail(path, node, "expected a string") }
        return text
    }
}

private struct Mapping {
    let pairs: [YAMLPair]
    let node: YAMLNode

    func value(_ key: String) -> YAMLNode? {
        pairs.first { $0.key.scalarText == key }?.value
    }
}
