import SerinGit
import Testing

@Suite("Remote addresses")
struct RemoteAddressTests {
    @Test(arguments: [
        ("ssh://git@example.com/org/repo.git", "example.com", 22),
        ("ssh://git@example.com:2222/org/repo.git", "example.com", 2222),
        ("ssh://git@[::1]:2222/repo.git", "::1", 2222),
        ("git@github.com:org/repo.git", "github.com", 22),
        ("example.com:repo.git", "example.com", 22),
        ("[git@example.com:2222]:org/repo.git", "example.com", 2222),
        ("[example.com:2222]:/srv/repo.git", "example.com", 2222),
        ("git@[::1]:repo.git", "::1", 22),
    ])
    func sshHostAndPort(_ address: String, _ host: String, _ port: Int) {
        let parsed = RemoteURL.sshHost(of: address)
        #expect(parsed?.host == host)
        #expect(parsed?.port == port)
    }

    @Test(arguments: ["https://example.com/repo.git", "git://example.com/repo.git", "/srv/git/repo.git", "./repo", "file:///srv/repo.git"])
    func otherTransportsHaveNoSSHHost(_ address: String) {
        #expect(RemoteURL.sshHost(of: address) == nil)
    }

    @Test func credentialsInURLsAreRedacted() {
        #expect(RemoteURL.redacting("https://user:s3cret@example.com/repo.git") == "https://user:***@example.com/repo.git")
        #expect(RemoteURL.redacting("https://token@example.com/repo.git") == "https://token@example.com/repo.git")
        #expect(RemoteURL.redactingURLs(in: "failed to fetch https://u:p@h/r: 401") == "failed to fetch https://u:***@h/r: 401")
    }

    @Test func localPathsAreRecognised() {
        #expect(RemoteURL.localPath("/srv/repo.git") == "/srv/repo.git")
        #expect(RemoteURL.localPath("file:///srv/repo.git") == "/srv/repo.git")
        #expect(RemoteURL.localPath("git@host:repo.git") == nil)
    }

    @Test func gitErrorsNeverShowPasswordsFromURLs() {
        let error = GitError(kind: .authentication, operation: "fetch main from https://u:***@h/r",
                             message: "unexpected HTTP status code: 401 for https://u:hunter2@h/r")
        #expect(!error.description.contains("hunter2"))
    }
}

@Suite("known_hosts")
struct KnownHostsTests {
    // Two distinct ed25519 public key blobs, base64.
    static let keyA = "AAAAC3NzaC1lZDI1NTE5AAAAIAfmIsvLTqX5IZv4UbPN+HjZzJcHAE2tyg8j2NBNyuTN"
    static let keyB = "AAAAC3NzaC1lZDI1NTE5AAAAIKs3Y0jRYaDlq5t8oHbWcMjjS9Pz4gx6Lp7Wm5R3Dgq5"

    @Test func plainEntriesMatchByNameAndPort() {
        let hosts = KnownHosts(parsing: """
        # comment
        git.example.com,10.1.2.3 ssh-ed25519 \(Self.keyA)
        [git.example.com]:2222 ssh-ed25519 \(Self.keyB) comment here
        """)
        #expect(hosts.keys(for: "git.example.com") == [Self.keyA])
        #expect(hosts.keys(for: "[git.example.com]:2222") == [Self.keyB])
        #expect(hosts.keys(for: "other.example.com").isEmpty)
    }

    @Test func wildcardsAndNegationsFollowOpenSSH() {
        let hosts = KnownHosts(parsing: "*.example.com,!evil.example.com ssh-ed25519 \(Self.keyA)\n")
        #expect(hosts.keys(for: "git.example.com") == [Self.keyA])
        #expect(hosts.keys(for: "evil.example.com").isEmpty)
    }

    @Test func revokedAndCertificateAuthorityLinesNeverTrustAKey() {
        let hosts = KnownHosts(parsing: """
        @revoked git.example.com ssh-ed25519 \(Self.keyA)
        @cert-authority git.example.com ssh-ed25519 \(Self.keyB)
        """)
        #expect(hosts.keys(for: "git.example.com").isEmpty)
    }

    @Test func malformedLinesAreSkipped() {
        let hosts = KnownHosts(parsing: "git.example.com ssh-ed25519\nbroken\ngit.example.com ssh-ed25519 not-base64!!\n")
        #expect(hosts.keys(for: "git.example.com").isEmpty)
    }
}
