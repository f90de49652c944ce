import Logging
import Synchronization

/// What a component logged, each line as its message and metadata, for tests of what it tells an operator.
public final class CapturedLog: Sendable {
    public struct Line: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let storage = Mutex<[Line]>([])
    private let metadataProvider: Logger.MetadataProvider?

    /// `metadataProvider` adds its metadata to every line as the console's handler does, under the line's own.
    public init(metadataProvider: Logger.MetadataProvider? = nil) {
        self.metadataProvider = metadataProvider
    }

    public var lines: [Line] { storage.withLock { $0 } }

    public var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ line: Line) { storage.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let provided = capture.metadataProvider?.get() ?? [:]
            let merged = self.metadata.merging(provided) { _, new in new }.merging(event.metadata ?? [:]) { _, new in new }
            capture.append(Line(level: event.level, message: event.message.description,
                                metadata: merged.mapValues { "\($0)" }))
        }
    }
}
