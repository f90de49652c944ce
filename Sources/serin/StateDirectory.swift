import Foundation

/// Serin's state directory (`--state-dir`, `.serin` by default): the Git cache and, in local mode, the model
/// servers' working directories, logs and process records.
enum StateDirectory {
    /// Creates `path` if needed, with a `.gitignore` that ignores everything in it. Started inside the repository it
    /// watches, `serin run` puts the default `.serin` in that working tree, where its caches and logs would show in
    /// `git status` and be committed by a `git add -A`. An existing `.gitignore` there is left as it is.
    ///
    /// A directory it creates is for its owner alone (0700): it holds a clone of the repository, which may be
    /// private, and the model servers' logs, which may quote the requests they served. An existing directory keeps
    /// the permissions it has.
    static func prepare(_ path: String) throws(OperationFailure) {
        let ignore = path + "/.gitignore"
        do {
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            guard !FileManager.default.fileExists(atPath: ignore) else { return }
            try Data("# Serin's state: caches, model server logs and process records; never commit it.\n*\n".utf8)
                .write(to: URL(fileURLWithPath: ignore))
        } catch {
            throw OperationFailure(description: "cannot prepare the state directory \(path): \(error.localizedDescription); "
                + "pass --state-dir with a directory Serin can write")
        }
    }
}
