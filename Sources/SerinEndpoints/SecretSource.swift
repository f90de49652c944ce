import Foundation

/// Where a webhook secret comes from. A file (a mounted Kubernetes Secret) or an environment variable keeps the
/// secret off the command line, where `ps` and shell histories would show it.
public enum SecretSource: Sendable, CustomStringConvertible {
    /// A file holding the secret; surrounding whitespace and a final line break are dropped, as `echo` and editors
    /// add them.
    case file(String)
    /// An environment variable holding the secret.
    case environment(String)
    /// A secret already in memory (tests, or a secret the caller read from elsewhere).
    case value(WebhookSecret)

    /// Names the source, never the secret.
    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        case .value: "a secret given in memory"
        }
    }

    /// Reads the secret. A source that is configured but unreadable or empty fails, rather than leaving its
    /// endpoint off without anyone noticing.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(EndpointsError)
        -> WebhookSecret
    {
        switch self {
        case .value(let secret):
            return secret
        case .environment(let name):
            guard let text = environment[name] else { throw .secretUnavailable(source: description, reason: "it is not set") }
            return try WebhookSecret(bytes: Self.trimmed(Array(text.utf8)), origin: description)
        case .file(let path):
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .secretUnavailable(source: description, reason: error.localizedDescription)
            }
            return try WebhookSecret(bytes: Self.trimmed(Array(data)), origin: description)
        }
    }

    /// Whether the file's permissions let every user of the machine read it: worth a warning, not a refusal, as
    /// containers often run with one user anyway.
    func isReadableByOthers() -> Bool {
        guard case .file(let path) = self,
              let permissions = try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        else { return false }
        return permissions.intValue & 0o004 != 0
    }

    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = bytes.firstIndex(where: { !whitespace.contains($0) }),
              let last = bytes.lastIndex(where: { !whitespace.contains($0) })
        else { return [] }
        return Array(bytes[first...last])
    }
}
