import Foundation
import TestSupport

/// The key types the harness generates with ssh-keygen.
enum SSHKeyType: String, Sendable, CaseIterable {
    case ed25519
    case rsa
    case ecdsa

    /// The algorithm name at the start of a public key line and a known_hosts entry.
    var algorithm: String {
        switch self {
        case .ed25519: "ssh-ed25519"
        case .rsa: "ssh-rsa"
        case .ecdsa: "ecdsa-sha2-nistp256"
        }
    }

    fileprivate var keygenArguments: [String] {
        switch self {
        case .ed25519: ["-t", "ed25519"]
        case .rsa: ["-t", "rsa", "-b", "3072"]
        case .ecdsa: ["-t", "ecdsa", "-b", "256"]
        }
    }
}

/// A throwaway OpenSSH key pair without a passphrase: `privateKey` (OpenSSH format, mode 0600) and `privateKey.pub`.
struct SSHKeyPair: Sendable {
    static let keygen = "/usr/bin/ssh-keygen"

    let type: SSHKeyType
    let privateKey: URL
    let publicKey: URL
    /// "<algorithm> <base64>", the public key without its comment, as known_hosts and authorized_keys hold it.
    let publicKeyEntry: String

    /// The key's data, base64-decoded from `publicKeyEntry` (the SSH wire encoding of the public key).
    var publicKeyData: Data {
        Data(base64Encoded: String(publicKeyEntry.split(separator: " ")[1])) ?? Data()
    }

    /// Generates a new key pair at `privateKey` (and `privateKey.pub`); the file must not exist yet.
    static func generate(_ type: SSHKeyType, at privateKey: URL, comment: String) throws -> SSHKeyPair {
        try Command.run(
            keygen, ["-q"] + type.keygenArguments + ["-N", "", "-C", comment, "-f", privateKey.path],
            environment: Command.plainEnvironment(home: privateKey.deletingLastPathComponent()))
        let publicKey = URL(fileURLWithPath: privateKey.path + ".pub")
        let line = try String(contentsOf: publicKey, encoding: .utf8)
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, fields[0] == type.algorithm else {
            throw HarnessError("unexpected public key from ssh-keygen in \(publicKey.path): \(line)")
        }
        return SSHKeyPair(type: type, privateKey: privateKey, publicKey: publicKey, publicKeyEntry: "\(fields[0]) \(fields[1])")
    }

    /// The SHA-256 fingerprint as OpenSSH prints it, "SHA256:<base64 without padding>".
    func fingerprintSHA256() throws -> String {
        let output = try Command.run(
            Self.keygen, ["-l", "-E", "sha256", "-f", publicKey.path],
            environment: Command.plainEnvironment(home: publicKey.deletingLastPathComponent()))
        let fields = output.split(separator: " ")
        guard fields.count >= 2, fields[1].hasPrefix("SHA256:") else {
            throw HarnessError("unexpected fingerprint from ssh-keygen: \(output)")
        }
        return String(fields[1])
    }
}
