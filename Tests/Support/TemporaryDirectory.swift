import Foundation

/// A fresh directory under the system temporary directory, made with mkdtemp (mode 0700, unique name),
/// removed by `remove()` or, as a safety net, when the last reference goes away.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String) throws {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let baseAddress = buffer.baseAddress else { return false }
            return mkdtemp(baseAddress) != nil
        }
        guard created else {
            throw HarnessError("cannot create a temporary directory under \(base): \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Makes (with intermediate directories) and returns a subdirectory.
    public func subdirectory(_ name: String) throws -> URL {
        let directory = url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Removes the directory and everything in it. Safe to call more than once.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        remove()
    }
}
