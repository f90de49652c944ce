import CLibGit2
import Foundation
import SerinCore

// Every call into libgit2 lives in this file. Each handle is owned by a Swift value that frees it, every negative
// return becomes a `GitError` carrying libgit2's own message (read at once, on the same thread, because libgit2
// keeps it thread-local), and nothing here is used from more than one thread at a time: a `Repository` is confined
// to its `GitWorker`.

/// libgit2's process-wide state. `git_libgit2_init` must run once before any other call; every entry point of
/// SerinGit reaches the library through `GitLibrary.shared`, whose lazy initialisation runs it exactly once.
public final class GitLibrary: Sendable {
    public static let shared = GitLibrary()

    public let version: String

    /// The CA bundle Debian's libgit2 (built on mbedTLS) verifies HTTPS servers against by default.
    public static let systemCertificateBundle = "/etc/ssl/certs/ca-certificates.crt"

    private init() {
        git_libgit2_init()
        // Every TCP connection libgit2 opens then gives up on a silent server (`GitRemote.timeout`); libgit2 1.5 has
        // no network timeouts of its own. Registering only fails for want of memory, and libgit2's stream stays.
        serin_git_register_socket_stream()
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        git_libgit2_version(&major, &minor, &patch)
        version = "\(major).\(minor).\(patch)"
    }

    /// Makes HTTPS remotes also trust the certificate authorities in `file` (PEM), for servers behind a private CA.
    /// libgit2 holds one CA list per process and replaces it when set, so the system bundle and `file` are joined
    /// into `bundle` first: public servers stay trusted. Verification itself is never turned off.
    public func trustCertificateAuthorities(in file: String, bundle: String) throws(GitError) {
        let operation = "trust the certificate authorities in \(file)"
        guard let extra = FileManager.default.contents(atPath: file), !extra.isEmpty else {
            throw GitError(kind: .certificate, operation: operation, message: "cannot read \(file)")
        }
        var joined = FileManager.default.contents(atPath: Self.systemCertificateBundle) ?? Data()
        if let last = joined.last, last != UInt8(ascii: "\n") { joined.append(UInt8(ascii: "\n")) }
        joined.append(extra)
        do {
            try FileManager.default.createDirectory(atPath: (bundle as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try joined.write(to: URL(fileURLWithPath: bundle), options: .atomic)
        } catch {
            throw GitError(kind: .certificate, operation: operation, message: "cannot write \(bundle): \(error)")
        }
        try check(serin_git_set_ssl_cert_locations(bundle, nil), operation)
    }
}

/// A Git object id, as 40 hexadecimal digits.
public struct ObjectID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let hex: String

    public init?(hex: String) {
        guard hex.count == 40, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
        self.hex = hex.lowercased()
    }

    init(_ oid: git_oid) {
        var oid = oid
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, &oid)
        hex = String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var oid: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    /// The short form people read in logs and commit messages.
    public var short: String { String(hex.prefix(7)) }
    public var description: String { hex }
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }
}

/// Throws when libgit2 reports a failure.
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String, context: TransportContext? = nil) throws(GitError) -> Int32 {
    guard result < 0 else { return result }
    throw GitError.last(code: result, operation: operation(), context: context)
}

extension GitError {
    /// The error libgit2 recorded for this thread's last failed call. Callbacks can leave a more precise reason in
    /// the transport context (a host key mismatch, say), which wins over libgit2's generic wording.
    static func last(code: Int32, operation: String, context: TransportContext? = nil) -> GitError {
        let recorded = git_error_last()
        let message = context?.failure ?? recorded.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
        let kind: Kind = switch code {
        case GIT_ENOTFOUND.rawValue: .notFound
        case GIT_EAUTH.rawValue: .authentication
        case GIT_ECERTIFICATE.rawValue: .certificate
        case GIT_ENONFASTFORWARD.rawValue: .nonFastForward
        case GIT_EUSER.rawValue: context?.cancelled == true ? .cancelled : .other
        // The socket stream stops waiting when the transfer is cancelled, and libgit2 reports a network error.
        default: context?.failureKind ?? (context?.cancelled == true ? .cancelled : .other)
        }
        return GitError(kind: context?.failureKind ?? kind, operation: operation, message: message, code: code)
    }
}

/// The state callbacks share during one network operation: credentials, host-key checking, cancellation, the
/// connections' timeout, and what went wrong. Passed to libgit2 as the callbacks' payload, unretained, and kept
/// alive by the caller for the whole transfer.
final class TransportContext: @unchecked Sendable {
    let credentials: GitCredentials
    let hostKeys: HostKeyVerifier
    /// How long a connection may go without a byte either way before the operation fails (0: no limit).
    let timeoutMilliseconds: Int32
    /// The remote is reached over SSH, whose reads and writes bypass the socket stream's own timeout.
    let overSSH: Bool
    private let lock = NSLock()
    private var _cancelled = false
    /// Cancellation as the socket stream reads it, from the thread blocked in libgit2: a cancelled transfer stops
    /// waiting on its socket at once, not only at its next progress report.
    private let cancelFlag: UnsafeMutablePointer<Int32>
    var credentialAttempts = 0
    var failure: String?
    var failureKind: GitError.Kind?
    var rejectedReferences: [(reference: String, status: String)] = []

    init(credentials: GitCredentials, hostKeys: HostKeyVerifier, timeout: Duration, overSSH: Bool) {
        self.credentials = credentials
        self.hostKeys = hostKeys
        self.overSSH = overSSH
        timeoutMilliseconds = Int32(clamping: timeout.wholeMilliseconds)
        cancelFlag = .allocate(capacity: 1)
        cancelFlag.initialize(to: 0)
    }

    deinit { cancelFlag.deallocate() }

    var cancelled: Bool {
        get { lock.withLock { _cancelled } }
        set {
            lock.withLock { _cancelled = newValue }
            if newValue { serin_git_flag_set(cancelFlag) }
        }
    }

    /// Runs `body`, a network call, with this context's timeout and cancellation applied to every connection
    /// libgit2 opens meanwhile on this thread.
    func limitingConnections<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
        serin_git_begin_operation(timeoutMilliseconds, cancelFlag, overSSH ? 1 : 0)
        defer { serin_git_end_operation() }
        do {
            return try body()
        } catch {
            // A connection that timed out or was cancelled says so, where TLS would report a generic error.
            let failure = String(cString: serin_git_operation_failure())
            guard !failure.isEmpty, failure != error.message else { throw error }
            throw GitError(kind: error.kind, operation: error.operation, message: failure, code: error.code)
        }
    }

    fileprivate func fail(_ kind: GitError.Kind, _ message: String) -> Int32 {
        failure = message
        failureKind = kind
        git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), message)
        return kind == .authentication ? GIT_EAUTH.rawValue : (kind == .certificate ? GIT_ECERTIFICATE.rawValue : GIT_EUSER.rawValue)
    }

    fileprivate var payload: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    fileprivate static func from(_ payload: UnsafeMutableRawPointer?) -> TransportContext? {
        payload.map { Unmanaged<TransportContext>.fromOpaque($0).takeUnretainedValue() }
    }
}

private let credentialCallback: git_credential_acquire_cb = { out, url, usernameFromURL, allowedTypes, payload in
    guard let out, let context = TransportContext.from(payload) else { return GIT_EUSER.rawValue }
    context.credentialAttempts += 1
    // libgit2 calls again after every refusal: one try per credential, then a clear failure.
    let username = usernameFromURL.map { String(cString: $0) }
    let allowed = allowedTypes
    switch context.credentials {
    case .none:
        return context.fail(.authentication, "the remote asked for credentials and none are configured")
    case .basic(let user, let password):
        guard allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
        guard context.credentialAttempts == 1 else {
            return context.fail(.authentication, "the remote refused the username and password for \(user)")
        }
        do throws(SecretSource.Missing) {
            return git_credential_userpass_plaintext_new(out, user, try password.read())
        } catch {
            return context.fail(.authentication, error.description)
        }
    case .sshKey(let user, let privateKey, let publicKey, let passphrase):
        let login = username ?? user
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 && allowed & GIT_CREDENTIAL_SSH_KEY.rawValue == 0 {
            return git_credential_username_new(out, login)
        }
        guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
        guard context.credentialAttempts <= 2 else {
            return context.fail(.authentication, "the SSH server refused the key \(privateKey) for user \(login)")
        }
        do throws(SecretSource.Missing) {
            let phrase = try passphrase?.read()
            return git_credential_ssh_key_new(out, login, publicKey, privateKey, phrase)
        } catch {
            return context.fail(.authentication, error.description)
        }
    }
}

private let certificateCallback: git_transport_certificate_check_cb = { cert, valid, host, payload in
    guard let cert, let context = TransportContext.from(payload) else { return GIT_EUSER.rawValue }
    let hostName = host.map { String(cString: $0) } ?? ""
    guard cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
        // TLS: keep libgit2's own verification against the system's CA bundle.
        return GIT_PASSTHROUGH.rawValue
    }
    let hostKey = UnsafeRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
    var presented = PresentedHostKey()
    if hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostKey.hostkey {
        presented.blob = Array(UnsafeRawBufferPointer(start: raw, count: hostKey.hostkey_len))
    }
    if hostKey.type.rawValue & GIT_CERT_SSH_SHA256.rawValue != 0 {
        presented.sha256 = withUnsafeBytes(of: hostKey.hash_sha256) { Array($0) }
    }
    switch context.hostKeys.verify(host: hostName, key: presented) {
    case .accepted:
        return 0
    case .refused(let reason):
        return context.fail(.hostKey, reason)
    }
}

private let transferProgressCallback: git_indexer_progress_cb = { _, payload in
    guard let context = TransportContext.from(payload) else { return 0 }
    return context.cancelled ? context.fail(.cancelled, "the transfer was cancelled") : 0
}

private let pushUpdateCallback: git_push_update_reference_cb = { reference, status, payload in
    guard let context = TransportContext.from(payload), let status else { return 0 }
    context.rejectedReferences.append((reference.map { String(cString: $0) } ?? "", String(cString: status)))
    return 0
}

private func install(_ callbacks: inout git_remote_callbacks, _ context: TransportContext) {
    callbacks.credentials = credentialCallback
    callbacks.certificate_check = certificateCallback
    callbacks.transfer_progress = transferProgressCallback
    callbacks.push_update_reference = pushUpdateCallback
    callbacks.payload = context.payload
}

/// Runs `body` with a `git_strarray` of `strings`, freed afterwards.
private func withStringArray<T>(_ strings: [String], _ body: (inout git_strarray) throws(GitError) -> T) throws(GitError) -> T {
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: max(strings.count, 1))
    for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
    defer {
        for index in strings.indices { free(pointers[index]) }
        pointers.deallocate()
    }
    var array = git_strarray(strings: pointers, count: strings.count)
    return try body(&array)
}

/// A commit's author or committer.
public struct GitSignature: Sendable, Hashable {
    public var name: String
    public var email: String

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    public static let serin = GitSignature(name: "Serin", email: "serin@localhost")
}

/// What a commit says about itself.
struct CommitInfo {
    var id: ObjectID
    var message: String
    var parents: [ObjectID]
    var tree: ObjectID
    /// Seconds since the Unix epoch, as the committer recorded it.
    var time: Int64
}

/// A file that differs between two trees.
struct TreeChange: Hashable {
    enum Kind { case added, modified, deleted }
    var path: String
    var kind: Kind
    /// The blob after the change; nil for a deletion.
    var blob: ObjectID?
}

/// A repository handle. Not thread-safe (libgit2 objects are not): a `GitWorker` owns it.
final class Repository {
    private let pointer: OpaquePointer
    let path: String

    private init(pointer: OpaquePointer, path: String) {
        self.pointer = pointer
        self.path = path
    }

    deinit { git_repository_free(pointer) }

    /// Opens the bare repository at `path`, creating it when the directory does not hold one yet.
    static func openOrCreateBare(at path: String) throws(GitError) -> Repository {
        _ = GitLibrary.shared
        var handle: OpaquePointer?
        if git_repository_open_bare(&handle, path) == 0, let handle {
            return Repository(pointer: handle, path: path)
        }
        try check(git_repository_init(&handle, path, 1), "create a bare repository at \(path)")
        guard let handle else { throw GitError(kind: .other, operation: "create a bare repository at \(path)", message: "no handle") }
        return Repository(pointer: handle, path: path)
    }

    /// Opens an existing repository (bare or with a work tree).
    static func open(at path: String) throws(GitError) -> Repository {
        _ = GitLibrary.shared
        var handle: OpaquePointer?
        try check(git_repository_open_ext(&handle, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil), "open the repository at \(path)")
        guard let handle else { throw GitError(kind: .other, operation: "open the repository at \(path)", message: "no handle") }
        return Repository(pointer: handle, path: path)
    }

    // MARK: Network

    private func withRemote<T>(_ url: String, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var remote: OpaquePointer?
        try check(git_remote_create_anonymous(&remote, pointer, url), "set up the remote \(RemoteURL.redacting(url))")
        guard let remote else { throw GitError(kind: .other, operation: "set up the remote", message: "no handle") }
        defer { git_remote_free(remote) }
        return try body(remote)
    }

    /// Fetches `refspecs` from `url`, never tags, and returns the references the remote advertised: a refspec
    /// naming a branch the remote lacks fetches nothing, and the caller tells that case apart with them.
    @discardableResult
    func fetch(from url: String, refspecs: [String], context: TransportContext) throws(GitError) -> Set<String> {
        try withRemote(url) { remote throws(GitError) in
            var options = git_fetch_options()
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            install(&options.callbacks, context)
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            try withStringArray(refspecs) { (array: inout git_strarray) throws(GitError) in
                try withExtendedLifetime(context) { () throws(GitError) in
                    let sources = refspecs.map { $0.split(separator: ":").first.map { String($0.drop { $0 == "+" }) } ?? $0 }
                    _ = try context.limitingConnections { () throws(GitError) in
                        try check(git_remote_fetch(remote, &array, &options, "serin: fetch"),
                                  "fetch \(sources.joined(separator: " ")) from \(RemoteURL.redacting(url))", context: context)
                    }
                }
            }
            return try advertisedReferences(remote, url: url)
        }
    }

    private func advertisedReferences(_ remote: OpaquePointer, url: String) throws(GitError) -> Set<String> {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try check(git_remote_ls(&heads, &count, remote), "list the references of \(RemoteURL.redacting(url))")
        var names = Set<String>()
        for index in 0..<count {
            if let head = heads?[index], let name = head.pointee.name { names.insert(String(cString: name)) }
        }
        return names
    }

    /// Pushes `refspecs` to `url`. Returns the references the remote refused, with its reasons.
    func push(to url: String, refspecs: [String], context: TransportContext) throws(GitError) -> [(reference: String, status: String)] {
        context.rejectedReferences = []
        try withRemote(url) { remote throws(GitError) in
            var options = git_push_options()
            git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION))
            install(&options.callbacks, context)
            _ = try withStringArray(refspecs) { (array: inout git_strarray) throws(GitError) in
                try withExtendedLifetime(context) { () throws(GitError) in
                    _ = try context.limitingConnections { () throws(GitError) in
                        try check(git_remote_push(remote, &array, &options),
                                  "push \(refspecs.joined(separator: " ")) to \(RemoteURL.redacting(url))", context: context)
                    }
                }
            }
        }
        return context.rejectedReferences
    }

    /// Pushes `reference` to `destination` of the repository at `remotePath` directly, for remotes on this file
    /// system. libgit2's own local transport updates the remote reference without checking its old value, which a
    /// concurrent pusher could lose commits to; this copies the missing objects and then moves the reference only if
    /// it still points at `expected` (nil: only if it does not exist). Returns false when it had moved, or when another
    /// push held its lock (to be fetched and tried again either way).
    func pushLocally(_ reference: String, to remotePath: String, destination: String, expected: ObjectID?) throws(GitError) -> Bool {
        guard let tip = try resolve(reference) else { return true }
        let remote = try Repository.open(at: remotePath)
        let operation = "push \(reference) to \(remotePath)"
        var localDatabase: OpaquePointer?, remoteDatabase: OpaquePointer?
        try check(git_repository_odb(&localDatabase, pointer), operation)
        defer { git_odb_free(localDatabase) }
        try check(git_repository_odb(&remoteDatabase, remote.pointer), operation)
        defer { git_odb_free(remoteDatabase) }

        func copy(_ id: ObjectID) throws(GitError) -> git_object_t? {
            var oid = id.oid
            if git_odb_exists(remoteDatabase, &oid) == 1 { return nil }
            var object: OpaquePointer?
            try check(git_odb_read(&object, localDatabase, &oid), operation)
            defer { git_odb_object_free(object) }
            let type = git_odb_object_type(object)
            var written = git_oid()
            try check(git_odb_write(&written, remoteDatabase, git_odb_object_data(object), git_odb_object_size(object), type), operation)
            return type
        }
        func copyTree(_ id: ObjectID) throws(GitError) {
            guard try copy(id) != nil else { return }
            let children = try withTree(id) { tree in
                (0..<git_tree_entrycount(tree)).compactMap { index -> (ObjectID, git_object_t)? in
                    guard let entry = git_tree_entry_byindex(tree, index), let child = git_tree_entry_id(entry) else { return nil }
                    return (ObjectID(child.pointee), git_tree_entry_type(entry))
                }
            }
            for (child, type) in children {
                if type == GIT_OBJECT_TREE { try copyTree(child) } else if type == GIT_OBJECT_BLOB { _ = try copy(child) }
            }
        }
        for commit in try commits(from: tip, excluding: expected).reversed() {
            try copyTree(try self.commit(commit).tree)
            _ = try copy(commit)
        }

        var newOID = tip.oid
        var handle: OpaquePointer?
        let result: Int32
        if let expected {
            var old = expected.oid
            result = git_reference_create_matching(&handle, remote.pointer, destination, &newOID, 1, &old, "serin: push")
        } else {
            result = git_reference_create(&handle, remote.pointer, destination, &newOID, 0, "serin: push")
        }
        git_reference_free(handle)
        // Moved on, or being moved by another push that holds its lock file right now: either way, fetch and replay.
        if result == GIT_EMODIFIED.rawValue || result == GIT_EEXISTS.rawValue || result == GIT_ELOCKED.rawValue { return false }
        try check(result, operation)
        return true
    }

    // MARK: References

    /// The commit a reference points to, or nil when there is no such reference.
    func resolve(_ reference: String) throws(GitError) -> ObjectID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, reference)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "resolve \(reference)")
        return ObjectID(oid)
    }

    /// Resolves a revision expression (`main`, `HEAD~2`, a commit id) to the commit it names.
    func resolveRevision(_ revision: String) throws(GitError) -> ObjectID {
        var object: OpaquePointer?
        try check(git_revparse_single(&object, pointer, revision), "resolve the revision \(revision)")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "resolve \(revision) to a commit")
        defer { git_object_free(commit) }
        guard let id = git_object_id(commit) else { throw GitError(kind: .notFound, operation: "resolve \(revision)", message: "no commit") }
        return ObjectID(id.pointee)
    }

    /// Points `reference` at `target`, creating it when needed.
    func setReference(_ reference: String, to target: ObjectID, message: String) throws(GitError) {
        var oid = target.oid
        var handle: OpaquePointer?
        try check(git_reference_create(&handle, pointer, reference, &oid, 1, message), "update \(reference)")
        git_reference_free(handle)
    }

    func deleteReference(_ reference: String) throws(GitError) {
        var handle: OpaquePointer?
        let result = git_reference_lookup(&handle, pointer, reference)
        if result == GIT_ENOTFOUND.rawValue { return }
        try check(result, "find \(reference)")
        defer { git_reference_free(handle) }
        try check(git_reference_delete(handle), "delete \(reference)")
    }

    func isDescendant(_ commit: ObjectID, of ancestor: ObjectID) throws(GitError) -> Bool {
        if commit == ancestor { return true }
        var a = commit.oid, b = ancestor.oid
        return try check(git_graph_descendant_of(pointer, &a, &b), "compare \(commit.short) with \(ancestor.short)") == 1
    }

    // MARK: Commits and trees

    private func withCommit<T>(_ id: ObjectID, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var oid = id.oid
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, pointer, &oid), "read the commit \(id.short)")
        guard let commit else { throw GitError(kind: .notFound, operation: "read the commit \(id.short)", message: "no commit") }
        defer { git_commit_free(commit) }
        return try body(commit)
    }

    private func withTree<T>(_ id: ObjectID, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var oid = id.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "read the tree \(id.short)")
        guard let tree else { throw GitError(kind: .notFound, operation: "read the tree \(id.short)", message: "no tree") }
        defer { git_tree_free(tree) }
        return try body(tree)
    }

    func commit(_ id: ObjectID) throws(GitError) -> CommitInfo {
        try withCommit(id) { commit throws(GitError) in
            let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
            let parents = (0..<git_commit_parentcount(commit)).compactMap { git_commit_parent_id(commit, $0).map { ObjectID($0.pointee) } }
            let tree = git_commit_tree_id(commit).map { ObjectID($0.pointee) }
            guard let tree else { throw GitError(kind: .other, operation: "read the commit \(id.short)", message: "no tree") }
            return CommitInfo(id: id, message: message, parents: parents, tree: tree, time: Int64(git_commit_time(commit)))
        }
    }

    /// The tree at `path` inside `tree` (the root for an empty path), or nil when nothing is there.
    func subtree(_ tree: ObjectID, at path: String) throws(GitError) -> ObjectID? {
        if path.isEmpty { return tree }
        return try withTree(tree) { root throws(GitError) -> ObjectID? in
            var entry: OpaquePointer?
            let result = git_tree_entry_bypath(&entry, root, path)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "find \(path) in the tree \(tree.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE, let id = git_tree_entry_id(entry) else { return nil }
            return ObjectID(id.pointee)
        }
    }

    /// Every regular file under `tree`, recursively, keyed by its path relative to `tree`.
    func files(in tree: ObjectID) throws(GitError) -> [String: ObjectID] {
        var result: [String: ObjectID] = [:]
        try collectFiles(in: tree, prefix: "", into: &result)
        return result
    }

    private func collectFiles(in tree: ObjectID, prefix: String, into result: inout [String: ObjectID]) throws(GitError) {
        let entries = try withTree(tree) { handle in
            (0..<git_tree_entrycount(handle)).compactMap { index -> (String, ObjectID, git_object_t, git_filemode_t)? in
                guard let entry = git_tree_entry_byindex(handle, index), let name = git_tree_entry_name(entry),
                      let id = git_tree_entry_id(entry) else { return nil }
                return (String(cString: name), ObjectID(id.pointee), git_tree_entry_type(entry), git_tree_entry_filemode(entry))
            }
        }
        for (name, id, type, mode) in entries {
            if type == GIT_OBJECT_TREE {
                try collectFiles(in: id, prefix: prefix + name + "/", into: &result)
            } else if type == GIT_OBJECT_BLOB && (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
                result[prefix + name] = id
            }
        }
    }

    /// The regular files that differ between two trees, with paths relative to them.
    func changes(from old: ObjectID, to new: ObjectID) throws(GitError) -> [TreeChange] {
        try withTree(old) { oldTree throws(GitError) in
            try withTree(new) { newTree throws(GitError) in
                var options = git_diff_options()
                git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
                var diff: OpaquePointer?
                try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, &options), "compare trees \(old.short) and \(new.short)")
                defer { git_diff_free(diff) }
                var changes: [TreeChange] = []
                for index in 0..<git_diff_num_deltas(diff) {
                    guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
                    let isFile = { (mode: UInt16) in
                        mode == UInt16(GIT_FILEMODE_BLOB.rawValue) || mode == UInt16(GIT_FILEMODE_BLOB_EXECUTABLE.rawValue)
                    }
                    let oldPath = delta.old_file.path.map { String(cString: $0) }
                    let newPath = delta.new_file.path.map { String(cString: $0) }
                    switch delta.status {
                    case GIT_DELTA_ADDED:
                        if let newPath, isFile(delta.new_file.mode) { changes.append(TreeChange(path: newPath, kind: .added, blob: ObjectID(delta.new_file.id))) }
                    case GIT_DELTA_DELETED:
                        if let oldPath, isFile(delta.old_file.mode) { changes.append(TreeChange(path: oldPath, kind: .deleted, blob: nil)) }
                    default:
                        if let oldPath, oldPath != newPath || !isFile(delta.new_file.mode) {
                            changes.append(TreeChange(path: oldPath, kind: .deleted, blob: nil))
                        }
                        if let newPath, isFile(delta.new_file.mode) {
                            changes.append(TreeChange(path: newPath, kind: oldPath == newPath ? .modified : .added, blob: ObjectID(delta.new_file.id)))
                        }
                    }
                }
                return changes
            }
        }
    }

    /// A blob's size and up to `limit` of its bytes.
    func blob(_ id: ObjectID, limit: Int = .max) throws(GitError) -> (size: Int, bytes: [UInt8]) {
        var oid = id.oid
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, &oid), "read the blob \(id.short)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard let content = git_blob_rawcontent(blob) else { return (size, []) }
        return (size, Array(UnsafeRawBufferPointer(start: content, count: min(size, limit))))
    }

    /// The file at `path` in `commit`, or nil when there is none.
    func file(at path: String, in commit: ObjectID) throws(GitError) -> [UInt8]? {
        let tree = try self.commit(commit).tree
        return try withTree(tree) { root throws(GitError) -> [UInt8]? in
            var entry: OpaquePointer?
            let result = git_tree_entry_bypath(&entry, root, path)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "find \(path) in \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, let id = git_tree_entry_id(entry) else { return nil }
            return try blob(ObjectID(id.pointee)).bytes
        }
    }

    /// Writes `files` (path → new content, nil to delete) onto `base` and returns the new tree.
    func tree(writing files: [String: [UInt8]?], onto base: ObjectID?) throws(GitError) -> ObjectID {
        var byFirstComponent: [String: [String: [UInt8]?]] = [:]
        var here: [String: [UInt8]?] = [:]
        for (path, content) in files {
            let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                byFirstComponent[parts[0], default: [:]][parts[1]] = content
            } else if let name = parts.first {
                here[name] = content
            }
        }
        var builder: OpaquePointer?
        var baseTree: OpaquePointer?
        if let base {
            var oid = base.oid
            try check(git_tree_lookup(&baseTree, pointer, &oid), "read the tree \(base.short)")
        }
        defer { git_tree_free(baseTree) }
        try check(git_treebuilder_new(&builder, pointer, baseTree), "start a tree")
        defer { git_treebuilder_free(builder) }
        for (name, content) in here {
            if let content {
                var oid = git_oid()
                let result = content.withUnsafeBytes { bytes in
                    git_blob_create_from_buffer(&oid, pointer, bytes.baseAddress, bytes.count)
                }
                try check(result, "write \(name)")
                try check(git_treebuilder_insert(nil, builder, name, &oid, GIT_FILEMODE_BLOB), "add \(name) to a tree")
            } else if git_treebuilder_get(builder, name) != nil {
                try check(git_treebuilder_remove(builder, name), "remove \(name) from a tree")
            }
        }
        for (directory, nested) in byFirstComponent {
            var existing: ObjectID?
            if let entry = git_treebuilder_get(builder, directory), git_tree_entry_type(entry) == GIT_OBJECT_TREE,
               let id = git_tree_entry_id(entry) {
                existing = ObjectID(id.pointee)
            }
            let subtree = try tree(writing: nested, onto: existing)
            var oid = subtree.oid
            if try withTree(subtree, { git_tree_entrycount($0) }) == 0 {
                if git_treebuilder_get(builder, directory) != nil {
                    try check(git_treebuilder_remove(builder, directory), "remove \(directory) from a tree")
                }
            } else {
                try check(git_treebuilder_insert(nil, builder, directory, &oid, GIT_FILEMODE_TREE), "add \(directory) to a tree")
            }
        }
        var result = git_oid()
        try check(git_treebuilder_write(&result, builder), "write a tree")
        return ObjectID(result)
    }

    /// Creates a commit object (no reference is moved).
    func createCommit(tree: ObjectID, parents: [ObjectID], message: String, author: GitSignature, committer: GitSignature,
                      time: Int64) throws(GitError) -> ObjectID {
        var authorSignature: UnsafeMutablePointer<git_signature>?
        var committerSignature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&authorSignature, author.name, author.email, time, 0), "make the author signature")
        defer { git_signature_free(authorSignature) }
        try check(git_signature_new(&committerSignature, committer.name, committer.email, time, 0), "make the committer signature")
        defer { git_signature_free(committerSignature) }
        var treeOID = tree.oid
        var treeHandle: OpaquePointer?
        try check(git_tree_lookup(&treeHandle, pointer, &treeOID), "read the tree \(tree.short)")
        defer { git_tree_free(treeHandle) }
        var parentHandles: [OpaquePointer?] = []
        defer { parentHandles.forEach { git_commit_free($0) } }
        for parent in parents {
            var oid = parent.oid
            var handle: OpaquePointer?
            try check(git_commit_lookup(&handle, pointer, &oid), "read the commit \(parent.short)")
            parentHandles.append(handle)
        }
        var result = git_oid()
        _ = try parentHandles.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<OpaquePointer?>) throws(GitError) in
            try check(git_commit_create(&result, pointer, nil, authorSignature, committerSignature, "UTF-8", message, treeHandle,
                                        buffer.count, buffer.baseAddress), "create a commit")
        }
        return ObjectID(result)
    }

    /// The commits on `tip`'s first-parent chain that `base` does not contain, oldest first. Unlike a revision walk
    /// that hides `base`, this does not trust commit dates, so clock skew between writers (a commit dated before its
    /// parent) cannot make it list commits `base` already has.
    func firstParentCommits(from tip: ObjectID, notIn base: ObjectID) throws(GitError) -> [ObjectID] {
        var chain: [ObjectID] = []
        var current: ObjectID? = tip
        while let commit = current, try !isDescendant(base, of: commit) {
            chain.append(commit)
            current = try self.commit(commit).parents.first
        }
        return chain.reversed()
    }

    /// The commits reachable from `tip` and not from `base`, oldest first. Commit dates steer the walk, so with
    /// clock skew it may list some commits `base` has: use it where listing too many is harmless.
    func commits(from tip: ObjectID, excluding base: ObjectID? = nil) throws(GitError) -> [ObjectID] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "walk the history")
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        var start = tip.oid
        try check(git_revwalk_push(walk, &start), "walk from \(tip.short)")
        if let base {
            var hidden = base.oid
            try check(git_revwalk_hide(walk, &hidden), "walk from \(tip.short) excluding \(base.short)")
        }
        var ids: [ObjectID] = []
        var oid = git_oid()
        while true {
            let result = git_revwalk_next(&oid, walk)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "walk the history from \(tip.short)")
            ids.append(ObjectID(oid))
        }
        return ids
    }
}
