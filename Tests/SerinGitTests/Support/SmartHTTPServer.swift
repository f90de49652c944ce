import Foundation
import TestSupport

/// Debian's lighttpd on 127.0.0.1 running `git http-backend` as CGI under `/git/`, behind HTTP basic
/// authentication (mod_auth with a plain user file the harness writes). Pushes work for the authenticated user
/// (http-backend enables receive-pack when REMOTE_USER is set); wrong credentials get 401.
///
///     let server = try await SmartHTTPServer.start(username: "serin", password: "s3cret")
///     defer { server.stop() }
///     server.url(forRepository: "models")                        // http://127.0.0.1:PORT/git/models.git
///     server.url(forRepository: "models", username: "serin", password: "s3cret")  // credentials in the URL
final class SmartHTTPServer: GitServer {
    static let executable = "/usr/sbin/lighttpd"
    static let httpBackend = "/usr/lib/git-core/git-http-backend"

    /// Which requests need credentials.
    enum AuthenticationScope: Sendable {
        /// Every request under /git/: clones and fetches too.
        case everything
        /// Only pushes (git-receive-pack); clones and fetches are anonymous.
        case pushOnly
    }

    let port: UInt16
    let repositoriesRoot: URL
    let git: GitCLI
    let username: String
    let password: String
    let authenticationScope: AuthenticationScope
    /// The certificate authority that signed the server's certificate, when it serves HTTPS.
    let certificateAuthority: URL?
    /// The realm of the basic-auth challenge.
    static let realm = "Serin test"
    private let directory: TemporaryDirectory
    private let process: ServerProcess

    private init(
        port: UInt16, repositoriesRoot: URL, git: GitCLI, username: String, password: String,
        authenticationScope: AuthenticationScope, certificateAuthority: URL?, directory: TemporaryDirectory, process: ServerProcess
    ) {
        self.certificateAuthority = certificateAuthority
        self.port = port
        self.repositoriesRoot = repositoriesRoot
        self.git = git
        self.username = username
        self.password = password
        self.authenticationScope = authenticationScope
        self.directory = directory
        self.process = process
    }

    /// Starts lighttpd on a free loopback port with one user allowed in, and returns once it accepts connections.
    /// The username may not contain ":"; neither may contain a newline or a double quote. With `tls`, it serves
    /// HTTPS with a certificate for 127.0.0.1 signed by a throwaway certificate authority (`certificateAuthority`).
    static func start(
        username: String = "serin",
        password: String = "correct-horse",
        authenticationScope: AuthenticationScope = .everything,
        tls: Bool = false
    ) async throws -> SmartHTTPServer {
        guard !username.isEmpty, !username.contains(":"),
            !(username + password).contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\"" })
        else {
            throw HarnessError("the user file cannot hold the username \"\(username)\" with that password")
        }
        let directory = try TemporaryDirectory(prefix: "serin-smart-http")
        let repositoriesRoot = try directory.subdirectory("repos")
        let home = try directory.subdirectory("home")
        let serverHome = try directory.subdirectory("server-home")
        let documentRoot = try directory.subdirectory("htdocs")
        let uploads = try directory.subdirectory("uploads")
        let git = GitCLI(homeDirectory: home)

        let userFile = directory.url.appendingPathComponent("users")
        try Data("\(username):\(password)\n".utf8).write(to: userFile)
        let configurationFile = directory.url.appendingPathComponent("lighttpd.conf")
        let certificates = tls ? try Self.makeCertificates(in: try directory.subdirectory("tls"), home: home) : nil

        let (port, process) = try await ServerProcess.startListening(name: "lighttpd") { port in
            let configuration = Self.configuration(
                port: port, documentRoot: documentRoot, uploads: uploads, repositoriesRoot: repositoriesRoot,
                serverHome: serverHome, userFile: userFile, scope: authenticationScope, serverPEM: certificates?.serverPEM)
            try Data(configuration.utf8).write(to: configurationFile)
            return try ServerProcess.launch(
                name: "lighttpd",
                executable: executable,
                arguments: ["-D", "-f", configurationFile.path],
                environment: Command.plainEnvironment(home: serverHome),
                logFile: directory.url.appendingPathComponent("lighttpd.log")
            )
        }
        return SmartHTTPServer(
            port: port, repositoriesRoot: repositoriesRoot, git: git, username: username, password: password,
            authenticationScope: authenticationScope, certificateAuthority: certificates?.authority, directory: directory,
            process: process)
    }

    /// A certificate authority and a server certificate for 127.0.0.1 it signed, made with the openssl CLI.
    private static func makeCertificates(in directory: URL, home: URL) throws -> (authority: URL, serverPEM: URL) {
        let environment = Command.plainEnvironment(home: home)
        func openssl(_ arguments: [String]) throws {
            try Command.run("/usr/bin/openssl", arguments, environment: environment, directory: directory)
        }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Serin test CA",
                     "-keyout", "ca.key", "-out", "ca.crt"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"])
        try Data("subjectAltName = IP:127.0.0.1, DNS:127.0.0.1\n".utf8).write(to: directory.appendingPathComponent("san.ext"))
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                     "-extfile", "san.ext", "-out", "server.crt"])
        let pem = try Data(contentsOf: directory.appendingPathComponent("server.crt")) + Data(contentsOf: directory.appendingPathComponent("server.key"))
        let serverPEM = directory.appendingPathComponent("server.pem")
        try pem.write(to: serverPEM)
        return (directory.appendingPathComponent("ca.crt"), serverPEM)
    }

    /// lighttpd's configuration. It runs as the current user (root in CI: lighttpd accepts that without
    /// server.username) and logs to stderr, where CGI stderr (http-backend's messages) goes too.
    private static func configuration(
        port: UInt16, documentRoot: URL, uploads: URL, repositoriesRoot: URL, serverHome: URL, userFile: URL,
        scope: AuthenticationScope, serverPEM: URL?
    ) -> String {
        let require = """
            auth.require = ("/git/" => ("method" => "basic", "realm" => "\(realm)", "require" => "valid-user"))
            """
        let authentication: String
        switch scope {
        case .everything:
            authentication = require
        case .pushOnly:
            // The two requests of a push: the ref advertisement and the pack upload.
            authentication = """
                $HTTP["querystring"] =~ "service=git-receive-pack" {
                    \(require)
                }
                $HTTP["url"] =~ "^/git/.*/git-receive-pack$" {
                    \(require)
                }
                """
        }
        return """
            server.bind = "\(LoopbackPort.host)"
            server.port = \(port)
            server.document-root = "\(documentRoot.path)"
            server.upload-dirs = ("\(uploads.path)")
            server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi"\(serverPEM == nil ? "" : ", \"mod_openssl\""))
            \(serverPEM.map { "ssl.engine = \"enable\"\nssl.pemfile = \"\($0.path)\"" } ?? "")

            alias.url = ("/git/" => "\(httpBackend)/")
            $HTTP["url"] =~ "^/git/" {
                cgi.assign = ("" => "")
                setenv.set-environment = (
                    "GIT_PROJECT_ROOT" => "\(repositoriesRoot.path)",
                    "GIT_HTTP_EXPORT_ALL" => "1",
                    "GIT_CONFIG_NOSYSTEM" => "1",
                    "HOME" => "\(serverHome.path)",
                    "PATH" => "\(Command.searchPath)"
                )
            }

            auth.backend = "plain"
            auth.backend.plain.userfile = "\(userFile.path)"
            \(authentication)

            """
    }

    var temporaryDirectory: URL { directory.url }
    var processIdentifier: pid_t { process.processIdentifier }
    var log: String { process.log }

    func url(forRepository name: String) -> String {
        "\(scheme)://\(LoopbackPort.host):\(port)/git/\(name).git"
    }

    private var scheme: String { certificateAuthority == nil ? "http" : "https" }

    /// The URL with credentials in it (percent-encoded), e.g. for `git clone` or `git push` without a helper.
    func url(forRepository name: String, username: String, password: String) -> String {
        let user = username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? username
        let secret = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        return "\(scheme)://\(user):\(secret)@\(LoopbackPort.host):\(port)/git/\(name).git"
    }

    /// The URL with this server's own (correct) credentials in it.
    func authenticatedURL(forRepository name: String) -> String {
        url(forRepository: name, username: username, password: password)
    }

    func stop() {
        process.stop()
        directory.remove()
    }

    deinit {
        stop()
    }
}
