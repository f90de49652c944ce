import Foundation
import SerinCore
import SerinHTTP
import SerinKube
import Testing

/// A throwaway PKI (a server certificate valid only for `kube-apiserver.internal`, and a client certificate) and a
/// Python HTTPS server on 127.0.0.1 that answers every GET with the client certificate's common name ("anonymous"
/// without one) and whether an Authorization header came.
final class TLSServerFixture {
    let pki: TestPKI
    let process = Process()
    let port: Int

    var ca: String { pki.certificateAuthority }
    var clientCertificate: String { pki.clientCertificate }
    var clientKey: String { pki.clientKey }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static let server = """
        import http.server, json, ssl, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                cert = self.connection.getpeercert()
                name = "anonymous"
                for rdn in (cert or {}).get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            name = value
                body = json.dumps({"metadata": {"name": name}, "authorized": "Authorization" in self.headers}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        context.load_verify_locations(sys.argv[3])
        context.verify_mode = ssl.CERT_OPTIONAL
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.handle_error = lambda request, address: None
        with open(sys.argv[4] + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(sys.argv[4] + ".tmp", sys.argv[4])
        server.serve_forever()
        """

    init() throws {
        pki = try TestPKI(serverSubjectAltName: "DNS:kube-apiserver.internal")
        let dir = pki.scratch.path
        try pki.scratch.write("server.py", Self.server)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", dir + "/server.py", dir + "/server.crt", dir + "/server.key", dir + "/ca.crt", dir + "/port"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var portText: String?
        for _ in 0..<500 where portText == nil {
            portText = try? String(contentsOfFile: dir + "/port", encoding: .utf8)
            if portText == nil { usleep(10_000) }
        }
        guard let port = portText.flatMap({ Int($0) }) else {
            kill(process.processIdentifier, SIGKILL)
            throw Failure(description: "the HTTPS test server did not start")
        }
        self.port = port
    }

    /// SIGKILL: the child inherits the test runner's signal mask, in which SIGTERM may be blocked.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { usleep(10_000) }
    }

    func client(tls: TLSOptions, credentials: KubeCredentials = .none) -> KubeClient {
        KubeClient(configuration: KubeConfiguration(server: "https://127.0.0.1:\(port)", tls: tls, credentials: credentials,
                                                    connectTimeout: .seconds(5), requestTimeout: .seconds(10)),
                   logger: Quiet.logger)
    }

    func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
}

@Suite("TLS transport against a local HTTPS server", .serialized)
struct TLSTransportTests {
    @Test func clusterCAAndServerNameVerifyTheServerAndClientCertificateFilesIdentifyUs() async throws {
        let fixture = try TLSServerFixture()
        let client = fixture.client(
            tls: TLSOptions(certificateAuthority: .file(fixture.ca), serverName: "kube-apiserver.internal"),
            credentials: .clientCertificate(certificate: .file(fixture.clientCertificate), key: .file(fixture.clientKey)))
        let answer = try await client.get(.namespaces, name: "x")
        #expect(answer["metadata"]?["name"] == "serin-controller")
        #expect(answer["authorized"] == false)
    }

    @Test func inMemoryCAAndClientCertificateDataWorkLikeFiles() async throws {
        let fixture = try TLSServerFixture()
        let client = fixture.client(
            tls: TLSOptions(certificateAuthority: .data(try fixture.read(fixture.ca)), serverName: "kube-apiserver.internal"),
            credentials: .clientCertificate(certificate: .data(try fixture.read(fixture.clientCertificate)),
                                            key: .data(try fixture.read(fixture.clientKey))))
        let answer = try await client.get(.namespaces, name: "x")
        #expect(answer["metadata"]?["name"] == "serin-controller")
    }

    @Test func bearerTokenTravelsOverVerifiedTLS() async throws {
        let fixture = try TLSServerFixture()
        let client = fixture.client(tls: TLSOptions(certificateAuthority: .file(fixture.ca), serverName: "kube-apiserver.internal"),
                                    credentials: .bearerToken("s3cret"))
        let answer = try await client.get(.namespaces, name: "x")
        #expect(answer["authorized"] == true)
        #expect(answer["metadata"]?["name"] == "anonymous")
    }

    @Test func serverSignedByAnUnknownCAIsRefused() async throws {
        let fixture = try TLSServerFixture()
        let client = fixture.client(tls: TLSOptions(serverName: "kube-apiserver.internal"))
        await expectError(try await client.get(.namespaces, name: "x")) {
            if case .transport(let message) = $0 { return message.lowercased().contains("certificate") }
            return false
        }
    }

    @Test func certificateForAnotherNameIsRefusedWithoutTLSServerName() async throws {
        let fixture = try TLSServerFixture()
        let client = fixture.client(tls: TLSOptions(certificateAuthority: .file(fixture.ca)))
        await expectError(try await client.get(.namespaces, name: "x")) {
            if case .transport(let message) = $0 { return message.contains("127.0.0.1") || message.lowercased().contains("certificate") }
            return false
        }
    }

    @Test func insecureSkipVerifyAcceptsAnyServerOnlyWhenAskedTo() async throws {
        let fixture = try TLSServerFixture()
        let client = fixture.client(tls: TLSOptions(insecureSkipVerify: true))
        let answer = try await client.get(.namespaces, name: "x")
        #expect(answer["metadata"]?["name"] == "anonymous")
    }
}
