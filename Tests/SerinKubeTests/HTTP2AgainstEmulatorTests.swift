import Foundation
import KubeEmulator
import SerinCore
import SerinKube
import Testing

/// Serin's libcurl client asks for HTTP/2 over TLS (CURL_HTTP_VERSION_2TLS) and keeps connections alive between
/// requests; the emulator's request log shows what it really negotiated and how many connections it needed.
///
/// Each thread of the client's process-wide worker pool keeps its own connection (libcurl shares no connection
/// between concurrent threads), and the pool grows while other tests in this process keep it busy. So the number of
/// connections is bounded by the pool, not by one: the tests send many more requests than the pool has threads and
/// assert that connections stay far fewer than requests.
@Suite("Client against the emulator: HTTP/2 over TLS and connection reuse")
struct HTTP2AgainstEmulatorTests {
    static let token = "serin-over-h2"

    @Test func getListWatchAndInformerGoOverHTTP2AndReuseConnections() async throws {
        let pki = try TestPKI()
        var options = KubeEmulatorOptions()
        options.tls = pki.emulatorTLS
        options.acceptedTokens = [Self.token]
        try await withEmulator(options, token: Self.token) { emulator, client, _ in
            #expect(emulator.baseURL == "https://127.0.0.1:\(emulator.port)")
            for index in 0..<20 { _ = try await client.create(.configMaps, configMap("h2-\(index)", data: ["i": .string("\(index)")])) }
            for round in 0..<8 {
                for index in 0..<20 {
                    let object = try await client.get(.configMaps, name: "h2-\(index)")
                    #expect(object["data"]?["i"] == .string("\(index)"), "round \(round)")
                }
            }
            for _ in 0..<5 { #expect(try await client.list(.configMaps, namespace: "default").items.count == 20) }

            // A watch over HTTP/2 gets each event while it is open, not when the stream ends.
            let list = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(.configMaps, namespace: "default",
                                                options: WatchOptions(resourceVersion: list.resourceVersion, timeoutSeconds: 60))
            let delivery = try await withThrowingTaskGroup(of: Duration?.self) { group in
                let created = ContinuousClock.now
                group.addTask {
                    for try await event in stream where event.type == .added {
                        if event.object["metadata"]?["name"] == "watched" { return ContinuousClock.now - created }
                    }
                    return nil
                }
                _ = try await client.create(.configMaps, configMap("watched"))
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            let delay = try #require(delivery)
            #expect(delay < .seconds(2), "the ADDED event took \(delay)")

            let informer = Informer(client: client, type: .configMaps, namespace: "default", logger: Quiet.logger)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run() }
                group.addTask { for await _ in informer.changes {} }
                await informer.cache.waitForSync()
                #expect(await informer.cache.count == 21)
                group.cancelAll()
            }

            let requests = await emulator.requests()
            #expect(requests.count >= 180)
            #expect(requests.allSatisfy { $0.httpVersion == "HTTP/2" }, "\(Set(requests.map(\.httpVersion)))")
            #expect(requests.contains { $0.query.contains("watch=true") })
            // Every accepted connection is counted, TLS handshakes that led nowhere included.
            let connections = await emulator.acceptedConnections()
            let perConnection = Dictionary(grouping: requests, by: \.connection).mapValues(\.count)
            #expect(connections <= requests.count / 2, "\(requests.count) requests over \(connections) connections")
            #expect((perConnection.values.max() ?? 0) >= 3, "requests per connection: \(perConnection)")
        }
        withExtendedLifetime(pki) {}
    }

    @Test func plainHTTPEmulatorServesTheClientOverHTTP1WithKeepAlive() async throws {
        try await withEmulator { emulator, client, _ in
            #expect(emulator.baseURL == "http://127.0.0.1:\(emulator.port)")
            _ = try await client.create(.configMaps, configMap("plain"))
            for _ in 0..<150 { _ = try await client.get(.configMaps, name: "plain") }
            #expect(try await client.list(.configMaps, namespace: "default").items.count == 1)
            let requests = await emulator.requests()
            #expect(requests.count == 152)
            #expect(requests.allSatisfy { $0.httpVersion == "HTTP/1.1" }, "\(Set(requests.map(\.httpVersion)))")
            let connections = await emulator.acceptedConnections()
            #expect(connections <= requests.count / 2, "\(requests.count) requests over \(connections) connections")
        }
    }

    @Test func theClientRefusesTheTLSEmulatorWithoutItsCA() async throws {
        let pki = try TestPKI()
        var options = KubeEmulatorOptions()
        options.tls = pki.emulatorTLS
        let emulator = try await KubeEmulator.start(options, logger: Quiet.logger)
        let client = KubeClient(configuration: KubeConfiguration(server: emulator.baseURL, connectTimeout: .seconds(5),
                                                                 requestTimeout: .seconds(10)),
                                logger: Quiet.logger)
        await expectError(try await client.get(.namespaces, name: "default")) {
            if case .transport(let message) = $0 { return message.lowercased().contains("certificate") }
            return false
        }
        #expect(await emulator.requests().isEmpty)
        try await emulator.stop()
        withExtendedLifetime(pki) {}
    }

    @Test func stoppingTheTLSEmulatorEndsAWatchOpenOverHTTP2() async throws {
        let pki = try TestPKI()
        var options = KubeEmulatorOptions()
        options.tls = pki.emulatorTLS
        let emulator = try await KubeEmulator.start(options, logger: Quiet.logger)
        let scratch = try ScratchDirectory()
        try emulator.writeKubeconfig(to: scratch.path + "/kubeconfig", token: nil)
        let client = KubeClient(configuration: try KubeConfiguration.kubeconfig(path: scratch.path + "/kubeconfig"),
                                logger: Quiet.logger)
        let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(timeoutSeconds: 600))
        let watching = Task {
            for try await _ in stream {}
        }
        #expect(await eventually { await emulator.openWatches() == 1 })
        #expect(await emulator.requests().last?.httpVersion == "HTTP/2")
        let stopping = ContinuousClock.now
        try await emulator.stop()
        _ = await watching.result
        #expect(ContinuousClock.now - stopping < .seconds(5))
        withExtendedLifetime(pki) {}
    }
}
