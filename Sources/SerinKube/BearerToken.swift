import Foundation

/// A bearer token read from a file that the kubelet rewrites as it rotates projected service-account tokens.
///
/// Like client-go, the file's modification time is checked at most once a minute (`recheckInterval`), and the file is
/// read again whenever the server answers 401, so a rotated token is picked up without restarting. The token itself
/// never leaves this actor except into an Authorization header.
actor BearerTokenFile {
    let path: String
    private let fallback: String?
    private let recheckInterval: Duration
    private var token: String?
    private var modified: Date?
    private var lastCheck: ContinuousClock.Instant?

    init(path: String, fallback: String?, recheckInterval: Duration = .seconds(60)) {
        self.path = path
        self.fallback = fallback
        self.recheckInterval = recheckInterval
    }

    /// The token to send now.
    func current() -> String? {
        let now = ContinuousClock.now
        if let lastCheck, token != nil, now - lastCheck < recheckInterval { return token }
        lastCheck = now
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let mtime = attributes?[.modificationDate] as? Date
        if token == nil || mtime != modified {
            read()
            modified = mtime
        }
        return token ?? fallback
    }

    /// Reads the file again after a 401; true when the token changed, so the request is worth one retry.
    func reloadAfterRefusal() -> Bool {
        let before = token
        read()
        lastCheck = ContinuousClock.now
        modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        return token != nil && token != before
    }

    private func read() {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { token = text }
    }
}
