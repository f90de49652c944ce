import Foundation
import Logging
import SerinCore

/// Log lines for people at a terminal (`text`) or for a log pipeline (`json`, one object per line).
///
/// Text lines lead with the time and the model they concern, then the message, then any other metadata:
/// `05:40:02  ml/iris v2  Gates passed for 1m at 10%; v2 now takes 50%.  weight=50`. Metadata values are written
/// as given; Serin never puts a secret in them.
struct ConsoleLogHandler: LogHandler {
    enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    var metadata: Logger.Metadata = [:]
    /// Metadata of the task that logs (the model being reconciled); explicit metadata wins over it.
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level
    let label: String
    let format: Format
    private static let lock = NSLock()

    init(label: String, format: Format, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.format = format
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level
        let message = event.message
        var fields = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { fields.merge(provided) { _, new in new } }
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }
        let now = Date()
        let text: String
        switch format {
        case .json:
            var object: [String: JSONValue] = [
                "time": .string(Timestamp(millisecondsSinceEpoch: Int64(now.timeIntervalSince1970 * 1_000)).description),
                "level": .string(level.rawValue), "logger": .string(label), "message": .string("\(message)"),
            ]
            // Metadata never replaces the line's own fields: a colliding key keeps its value under `<key>_`.
            for (key, value) in fields { object[object[key] == nil ? key : key + "_"] = .string("\(value)") }
            text = JSONValue.object(object).serialized
        case .text:
            let clock = Timestamp(millisecondsSinceEpoch: Int64(now.timeIntervalSince1970 * 1_000)).description
            let time = clock.dropFirst(11).prefix(8)
            var parts = [String(time)]
            var subject: [String] = []
            if let model = fields.removeValue(forKey: "model") ?? fields.removeValue(forKey: "deployment") { subject.append("\(model)") }
            if let version = fields.removeValue(forKey: "version") { subject.append(LedgerCommitMessage.displayVersion("\(version)")) }
            if !subject.isEmpty { parts.append(subject.joined(separator: " ")) }
            let prefix = level >= .error ? "error: " : level == .warning ? "warning: " : ""
            parts.append(prefix + "\(message)")
            let rest = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            if !rest.isEmpty { parts.append(rest.joined(separator: " ")) }
            text = parts.joined(separator: "  ")
        }
        Self.lock.withLock {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
