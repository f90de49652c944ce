import Foundation
import SerinCore

/// Reads manifest files from the file system for `serin validate`: each path is a file, or a directory searched
/// recursively for *.yaml and *.yml, skipping hidden entries such as .git.
enum WorkingTreeFiles {
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ paths: [String], limit: Int) throws(ReadError) -> [SourceFile] {
        var files: [SourceFile] = []
        var seen = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReadError(description: "\(path): no such file or directory")
            }
            let found = isDirectory.boolValue ? try manifests(under: path) : [path]
            for file in found where seen.insert(file).inserted {
                files.append(try readFile(file, limit: limit))
            }
        }
        return files
    }

    private static func manifests(under directory: String) throws(ReadError) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw ReadError(description: "\(directory): cannot list the directory")
        }
        var result: [String] = []
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            guard SourceFile.isManifest(name) else { continue }
            let path = base == "." ? relative : base + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(path)
            }
        }
        return result.sorted()
    }

    /// Reads at most `limit + 1` bytes: a larger file is reported by its size, never loaded whole.
    private static func readFile(_ path: String, limit: Int) throws(ReadError) -> SourceFile {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            return SourceFile(path: path, contents: Array(data), size: max(size, data.count))
        } catch {
            throw ReadError(description: "\(path): cannot read the file: \(error.localizedDescription)")
        }
    }
}
