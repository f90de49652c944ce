import Foundation

/// A fresh directory for one test (mkdtemp), removed when the value goes away.
final class Scratch {
    let url: URL

    init() throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/serin-model-server-test.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        guard made else { throw TestFailure("mkdtemp: \(String(cString: strerror(errno)))") }
        url = URL(fileURLWithPath: String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                          as: UTF8.self), isDirectory: true)
    }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
    }

    func openForWriting(_ name: String) throws -> Int32 {
        let descriptor = open(path(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw TestFailure("cannot open \(path(name)): \(String(cString: strerror(errno)))") }
        return descriptor
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
