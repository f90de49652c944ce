import Foundation

/// Serin's state directory (`--state-dir`, `.serin` by default): the Git cache and, in local mode, the model
/// servers' working directories, logs and process records.
enum StateDirectory {
    /// Creates `path` if needed, with a `.gitignore` that ignores everything in it. Started inside the repository it
    /// watches, `serin run` puts the default `.serin` in that working tree, where its caches and logs would show in
    /// `git status` and be committed by a `git add -A`. An existing `.gitignore` there is left as it is.
    static func prepare(_ path: String) throws(OperationFailure) {
        let ignore = path + "/.gitignore"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            guard !FileManager.default.fileExists(atPath: ignore) else { return }
            try Data("# Serin's state: caches, model server logs and process records; never commit it.\n*\n".utf8)
                .write(to: URL(fileURLWithPath: ignore))
        } catch {
            throw OperationFailure(description: "cannot prepare the state directory \(path): \(error.localizedDescription); "
                + "pass --state-dir with a directory Serin can write")
        }
    }
}
