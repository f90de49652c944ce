import Foundation

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
    /// The realm of the basic-auth challenge.
    static let realm = "Serin test"
    private let directory: TemporaryDirectory
    private let process: ServerProcess

    private init(
        port: UInt16, repositoriesRoot: URL, git: GitCLI, username: String, password: String,
        authenticationScope: AuthenticationScope, directory: TemporaryDirectory, process: ServerProcess
    ) {
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
    /// The username may not contain ":"; neither may contain a newline or a double quote.
    static func start(
        username: String = "serin",
        password: String = "correct-horse",
        authenticationScope: AuthenticationScope = .everything
    ) async throws -> SmartHTTPServer {
        guard !username.isEmpty, !username.contains(":"),
            !(username + password).contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\"" })
        else {
            throw GitServerHarnessError("the user file cannot hold the username \"\(username)\" with that password")
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

        let (port, process) = try await ServerProcess.startListening(name: "lighttpd") { port in
            let configuration = Self.configuration(
                port: port, documentRoot: documentRoot, uploads: uploads, repositoriesRoot: repositoriesRoot,
                serverHome: serverHome, userFile: userFile, scope: authenticationScope)
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
            authenticationScope: authenticationScope, directory: directory, process: process)
    }

    /// lighttpd's configuration. It runs as the current user (root in CI: lighttpd accepts that without
    /// server.username) and logs to stderr, where CGI stderr (http-backend's messages) goes too.
    private static func configuration(
        port: UInt16, documentRoot: URL, uploads: URL, repositoriesRoot: URL, serverHome: URL, userFile: URL,
        scope: AuthenticationScope
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
            server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi")

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
        "http://\(LoopbackPort.host):\(port)/git/\(name).git"
    }

    /// The URL with credentials in it (percent-encoded), e.g. for `git clone` or `git push` without a helper.
    func url(forRepository name: String, username: String, password: String) -> String {
        let user = username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? username
        let secret = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        return "http://\(user):\(secret)@\(LoopbackPort.host):\(port)/git/\(name).git"
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
