import CLibGit2
import Foundation

/// libgit2's process-wide state. `git_libgit2_init` must run once before any other call; every entry point of
/// SerinGit reaches the library through `GitLibrary.shared`, whose lazy initialisation runs it exactly once.
public final class GitLibrary: Sendable {
    public static let shared = GitLibrary()

    public let version: String

    /// The CA bundle Debian's libgit2 (built on mbedTLS) verifies HTTPS servers against by default.
    public static let systemCertificateBundle = "/etc/ssl/certs/ca-certificates.crt"

    private init() {
        git_libgit2_init()
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
