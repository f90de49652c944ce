import Foundation
import KubeEmulator

/// A throwaway PKI made with the openssl CLI for one test: a CA, a server certificate it signed for
/// `serverSubjectAltName`, and a client certificate it signed for CN serin-controller. The default names fit the
/// emulator, which clients reach at 127.0.0.1; a name the client does not connect to tests server-name handling.
final class TestPKI {
    let scratch: ScratchDirectory

    var certificateAuthority: String { scratch.path + "/ca.crt" }
    var serverCertificate: String { scratch.path + "/server.crt" }
    var serverKey: String { scratch.path + "/server.key" }
    var clientCertificate: String { scratch.path + "/client.crt" }
    var clientKey: String { scratch.path + "/client.key" }

    /// An emulator's TLS settings, with the CA for the kubeconfigs it writes.
    var emulatorTLS: KubeEmulatorTLS {
        KubeEmulatorTLS(certificateChainFile: serverCertificate, privateKeyFile: serverKey,
                        certificateAuthorityFile: certificateAuthority)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `serverSubjectAltName` in openssl's syntax.
    init(serverSubjectAltName: String = "IP:127.0.0.1,DNS:localhost") throws {
        scratch = try ScratchDirectory()
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        try Self.shell("""
            set -e
            cd '\(scratch.path)'
            openssl req -x509 \(key) -keyout ca.key -out ca.crt -days 1 -subj /CN=serin-test-ca 2>/dev/null
            openssl req \(key) -keyout server.key -out server.csr -subj /CN=kube-apiserver 2>/dev/null
            printf 'subjectAltName=\(serverSubjectAltName)\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 \
                -extfile server.ext 2>/dev/null
            openssl req \(key) -keyout client.key -out client.csr -subj /CN=serin-controller 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1 2>/dev/null
            """)
    }

    static func shell(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        while process.isRunning { usleep(10_000) }
        guard process.terminationStatus == 0 else { throw Failure(description: "openssl could not make the test PKI") }
    }
}
