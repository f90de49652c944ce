import Foundation

/// A model server's log: appended to as it prints, rotated at `maxBytes` into `.1`, `.2` … up to `keep` files, so a
/// chatty server cannot fill the disk. Also keeps the last lines in memory, to quote in a crash's message.
final class RotatingLogFile: @unchecked Sendable {
    let path: String
    private let maxBytes: Int
    private let keep: Int
    private let lock = NSLock()
    private var handle: FileHandle?
    private var size = 0
    private var tail: [UInt8] = []

    init(path: String, maxBytes: Int = 10 << 20, keep: Int = 3) {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
    }

    func append(_ bytes: ArraySlice<UInt8>) {
        lock.withLock {
            if handle == nil { open() }
            if size + bytes.count > maxBytes { rotate() }
            handle?.write(Data(bytes))
            size += bytes.count
            tail.append(contentsOf: bytes)
            if tail.count > 4_096 { tail.removeFirst(tail.count - 4_096) }
        }
    }

    /// The last `count` distinct non-empty lines printed, in the order they were last printed, for error messages.
    /// A line printed again counts once, at its last place: a server that crashes the same way on every restart
    /// says so once in a crash loop's message, not once per restart.
    func lastLines(_ count: Int = 3) -> [String] {
        let text = lock.withLock { String(decoding: tail, as: UTF8.self) }
        var seen: Set<String> = []
        var lines: [String] = []
        for line in text.split(separator: "\n").reversed() where lines.count < count {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, seen.insert(trimmed).inserted { lines.append(trimmed) }
        }
        return lines.reversed()
    }

    private func open() {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        handle = FileHandle(forWritingAtPath: path)
        size = Int((try? handle?.seekToEnd()) ?? 0)
    }

    private func rotate() {
        try? handle?.close()
        handle = nil
        for index in stride(from: keep - 1, through: 1, by: -1) {
            let from = "\(path).\(index)"
            let to = "\(path).\(index + 1)"
            if FileManager.default.fileExists(atPath: from) {
                try? FileManager.default.removeItem(atPath: to)
                try? FileManager.default.moveItem(atPath: from, toPath: to)
            }
        }
        try? FileManager.default.removeItem(atPath: "\(path).1")
        try? FileManager.default.moveItem(atPath: path, toPath: "\(path).1")
        open()
    }
}
