import Foundation
import KubeEmulator

/// A throwaway PKI made with the openssl CLI for one test: a CA, and a server certificate it signed that is valid for
/// IP 127.0.0.1 and DNS localhost, so clients verify the emulator by the address they connect to (kubectl checks IP
/// SANs, never the common name). Removed when released.
final class TestPKI {
    let directory: String

    var certificateAuthority: String { directory + "/ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }

    /// The emulator's TLS settings, with the CA for the kubeconfigs it writes.
    var emulatorTLS: KubeEmulatorTLS {
        KubeEmulatorTLS(certificateChainFile: serverCertificate, privateKeyFile: serverKey,
                        certificateAuthorityFile: certificateAuthority)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `subjectAltName` in openssl's syntax.
    init(subjectAltName: String = "IP:127.0.0.1,DNS:localhost") throws {
        directory = NSTemporaryDirectory() + "pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        try Self.shell("""
            set -e
            cd '\(directory)'
            openssl req -x509 \(key) -keyout ca.key -out ca.crt -days 1 -subj /CN=serin-test-ca 2>/dev/null
            openssl req \(key) -keyout server.key -out server.csr -subj /CN=kube-emulator 2>/dev/null
            printf 'subjectAltName=\(subjectAltName)\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 \
                -extfile server.ext 2>/dev/null
            """)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private static func shell(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "openssl could not make the test PKI") }
    }
}
