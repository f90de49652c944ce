import Foundation

/// How Serin authenticates to a remote. Secrets are never taken from the command line: they are read from a file
/// or an environment variable each time they are needed, so a rotated token is picked up without a restart.
public enum GitCredentials: Sendable, Hashable {
    case none
    /// HTTP basic authentication; also how tokens are sent (as the password).
    case basic(username: String, password: SecretSource)
    /// An SSH private key; the public key path is optional (libssh2 derives it when absent).
    case sshKey(username: String, privateKey: String, publicKey: String?, passphrase: SecretSource?)

    /// A token sent as the HTTP basic password, under the username hosting services expect for tokens.
    public static func token(_ source: SecretSource, username: String = "x-access-token") -> GitCredentials {
        .basic(username: username, password: source)
    }
}

/// Where a secret lives.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible {
    case file(String)
    case environment(String)

    public struct Missing: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The secret, without a trailing newline.
    public func read() throws(Missing) -> String {
        switch self {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Missing(description: "cannot read the secret file \(path)")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        case .environment(let name):
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw Missing(description: "the environment variable \(name) is not set")
            }
            return value
        }
    }

    /// Names the source, never the secret.
    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        }
    }
}
