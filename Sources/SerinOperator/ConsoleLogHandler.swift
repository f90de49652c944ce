import Foundation
import Logging
import SerinCore

/// Log lines for people at a terminal (`text`), for systemd's journal (`journal`) or for a log pipeline (`json`,
/// one object per line).
///
/// Text lines lead with the time and the model they concern, then the message, then any other metadata:
/// `05:40:02  ml/iris v2  Gates passed for 1m at 10%; v2 now takes 50%.  weight=50`. Journal lines are the same
/// without the time, which the journal records itself, and begin with the line's syslog priority (`<4>` for a
/// warning), which the journal takes from a service's output, so that `journalctl -p warning` finds them.
/// Metadata values are written as given; Serin never puts a secret in them.
public struct ConsoleLogHandler: LogHandler {
    public enum Format: String, CaseIterable, Sendable {
        case text, journal, json
    }

    public var metadata: Logger.Metadata = [:]
    /// Metadata of the task that logs (the model being reconciled); explicit metadata wins over it.
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    let label: String
    let format: Format
    private let write: @Sendable (String) -> Void
    private static let lock = NSLock()

    /// A handler writing each entry, with its line break, through `write`: to standard error unless told otherwise.
    public init(label: String, format: Format, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil,
                write: @escaping @Sendable (String) -> Void = ConsoleLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.format = format
        self.logLevel = level
        self.write = write
    }

    /// Writes to standard error, one entry at a time, so that lines of concurrent tasks never interleave.
    public static let standardError: @Sendable (String) -> Void = { text in
        lock.withLock { FileHandle.standardError.write(Data(text.utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
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
        case .text, .journal:
            var parts: [String] = []
            if format == .text {
                let clock = Timestamp(millisecondsSinceEpoch: Int64(now.timeIntervalSince1970 * 1_000)).description
                parts.append(String(clock.dropFirst(11).prefix(8)))
            }
            var subject: [String] = []
            if let model = fields.removeValue(forKey: "model") ?? fields.removeValue(forKey: "deployment") { subject.append("\(model)") }
            if let version = fields.removeValue(forKey: "version") { subject.append(LedgerCommitMessage.displayVersion("\(version)")) }
            if !subject.isEmpty { parts.append(subject.joined(separator: " ")) }
            let prefix = level >= .error ? "error: " : level == .warning ? "warning: " : ""
            parts.append(prefix + "\(message)")
            let rest = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            if !rest.isEmpty { parts.append(rest.joined(separator: " ")) }
            let line = parts.joined(separator: "  ")
            // The journal makes an entry of each line it reads, taking the priority from that line alone.
            text = format == .text ? line
                : line.split(separator: "\n", omittingEmptySubsequences: false).map { "<\(Self.syslogPriority(level))>\($0)" }
                    .joined(separator: "\n")
        }
        write(text + "\n")
    }

    /// The syslog priority of a level: 2 (critical) to 7 (debug).
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}
