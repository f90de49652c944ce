import Foundation
import KubeEmulator
import SerinCore
import SerinKube
import Testing

/// Collects events from a watch in the background of a test.
actor EventLog {
    private(set) var events: [WatchEvent] = []
    private(set) var ended = false
    func append(_ event: WatchEvent) { events.append(event) }
    func end() { ended = true }
}

@Suite("Watches and informers against the emulator")
struct WatchAndInformerTests {
    @Test func watchFromAListsResourceVersionDeliversAddedModifiedAndDeleted() async throws {
        try await withEmulator { _, client, _ in
            _ = try await client.create(.configMaps, configMap("before"))
            let list = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(.configMaps, namespace: "default",
                                                options: WatchOptions(resourceVersion: list.resourceVersion, timeoutSeconds: 30))
            let log = EventLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await event in stream {
                        await log.append(event)
                        if event.type == .deleted { break }
                    }
                }
                let created = try await client.create(.configMaps, configMap("watched", data: ["v": "1"]))
                var changed = created
                changed["data"] = ["v": "2"]
                _ = try await client.update(.configMaps, changed)
                try await client.delete(.configMaps, name: "watched")
                try await group.waitForAll()
            }
            let events = await log.events.filter { $0.type != .bookmark }
            #expect(events.map(\.type) == [.added, .modified, .deleted])
            #expect(events.allSatisfy { $0.object["metadata"]?["name"] == "watched" })
            #expect(events[1].object["data"]?["v"] == "2")
            let versions = events.compactMap { $0.resourceVersion.flatMap { Int($0) } }
            #expect(versions == versions.sorted() && versions.count == 3)
        }
    }

    @Test func slowConsumerGetsEveryEventInOrderBeyondTheBufferSize() async throws {
        try await withEmulator { _, client, _ in
            for index in 0..<400 {
                _ = try await client.create(.configMaps, configMap(String(format: "bulk-%03d", index)))
            }
            // No resourceVersion: the server replays every object as ADDED, far more than the client buffers.
            let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(timeoutSeconds: 2))
            var names: [String] = []
            for try await event in stream where event.type == .added {
                if names.count < 10 { try await Task.sleep(for: .milliseconds(30)) }
                names.append(event.object["metadata"]?["name"]?.stringValue ?? "")
            }
            let bulk = names.filter { $0.hasPrefix("bulk-") }
            #expect(bulk.count == 400)
            #expect(Set(bulk).count == 400)
        }
    }

    @Test func cancellingTheIteratingTaskAbortsTheWatchPromptly() async throws {
        try await withEmulator { _, client, _ in
            let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(timeoutSeconds: 600))
            let started = ContinuousClock.now
            let task = Task {
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            _ = try? await task.value
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func watchOfAnExpiredResourceVersionEndsWithAnErrorEventCarrying410() async throws {
        try await withEmulator { emulator, client, _ in
            var faults = EmulatorFaults()
            faults.forceWatchExpired = true
            await emulator.setFaults(faults)
            let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(resourceVersion: "1", timeoutSeconds: 30))
            var errors: [KubeError] = []
            for try await event in stream {
                if let error = event.error { errors.append(error) }
            }
            guard case .gone(let status)? = errors.first else { Issue.record("got \(errors)"); return }
            #expect(status.code == 410)
        }
    }

    @Test func informerConvergesThroughDroppedWatchesForced410sAndServerErrors() async throws {
        var emulatorOptions = KubeEmulatorOptions()
        emulatorOptions.watchHistoryLimit = 50
        try await withEmulator(emulatorOptions) { emulator, client, _ in
            for index in 0..<20 {
                _ = try await client.create(.configMaps, configMap("cm-\(index)", data: ["v": "0"]))
            }
            let informer = Informer(client: client, type: .configMaps, namespace: "default",
                                    options: Informer.Options(pageSize: 7, watchTimeoutSeconds: 5...10,
                                                              initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(300)),
                                    logger: Quiet.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run() }
                group.addTask { for await _ in informer.changes {} }
                await informer.cache.waitForSync()
                #expect(await informer.cache.count == 20)

                // Faults: watches dropped every few events, 5% server errors, then a spell of forced 410s.
                var faults = EmulatorFaults()
                faults.dropWatchesAfterEvents = 3
                faults.internalErrorShare = 0.05
                await emulator.setFaults(faults)
                for round in 1...4 {
                    for index in stride(from: round % 3, to: 20, by: 3) {
                        _ = try await retrying { () async throws(KubeError) -> JSONValue in
                            try await client.patch(.configMaps, name: "cm-\(index)", .merge(["data": ["v": .string("\(round)")]]))
                        }
                    }
                    _ = try await retrying { () async throws(KubeError) -> JSONValue in
                        try await client.create(.configMaps, configMap("new-\(round)"))
                    }
                    if round == 2 {
                        faults.forceWatchExpired = true
                        await emulator.setFaults(faults)
                    }
                    try await Task.sleep(for: .milliseconds(150))
                }
                for index in [1, 4, 9] {
                    _ = try await retrying { () async throws(KubeError) -> JSONValue in
                        try await client.delete(.configMaps, name: "cm-\(index)")
                    }
                }
                await emulator.setFaults(EmulatorFaults())
                _ = try await client.patch(.configMaps, name: "cm-0", .merge(["data": ["v": "final"]]))

                let truth = try await client.list(.configMaps, namespace: "default")
                let expected = Dictionary(uniqueKeysWithValues: truth.items.map {
                    (InformerCache.key(of: $0), $0["metadata"]?["resourceVersion"]?.stringValue ?? "")
                })
                let converged = await eventually(timeout: .seconds(20)) {
                    let cached = await informer.cache.list()
                    let actual = Dictionary(uniqueKeysWithValues: cached.map {
                        (InformerCache.key(of: $0), $0["metadata"]?["resourceVersion"]?.stringValue ?? "")
                    })
                    return actual == expected
                }
                #expect(converged)
                #expect(await informer.cache.get(namespace: "default", name: "cm-0")?["data"]?["v"] == "final")
                #expect(await informer.cache.get(namespace: "default", name: "cm-4") == nil)
                group.cancelAll()
            }
            let requests = await emulator.requests()
            let lists = requests.filter { $0.method == "GET" && $0.path.hasSuffix("/configmaps") && !$0.query.contains("watch=") }
            let watches = requests.filter { $0.query.contains("watch=true") }
            #expect(lists.count > 2, "the forced 410s should have made the informer list again")
            #expect(watches.count > 3, "dropped watches should have been resumed")
            #expect(watches.allSatisfy { $0.query.contains("allowWatchBookmarks=true") && $0.query.contains("timeoutSeconds=") })
        }
    }

    @Test func informerReportsAddedUpdatedAndDeletedChanges() async throws {
        try await withEmulator { _, client, _ in
            _ = try await client.create(.configMaps, configMap("existing"))
            let informer = Informer(client: client, type: .configMaps, namespace: "default", logger: Quiet.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run() }
                var iterator = informer.changes.makeAsyncIterator()
                let first = await iterator.next()
                #expect(first?.kind == .added && first?.key == "default/existing")
                _ = try await client.patch(.configMaps, name: "existing", .merge(["data": ["k": "v"]]))
                let second = await iterator.next()
                #expect(second?.kind == .updated && second?.object["data"]?["k"] == "v")
                try await client.delete(.configMaps, name: "existing")
                let third = await iterator.next()
                #expect(third?.kind == .deleted && third?.key == "default/existing")
                group.cancelAll()
            }
        }
    }
}

@Suite("The informer cache's index")
struct InformerIndexTests {
    @Test func anIndexGroupsObjectsByItsValueAndFollowsRelabelsAndDeletes() async throws {
        try await withEmulator { _, client, _ in
            _ = try await client.create(.configMaps, configMap("a-1", labels: ["owner": "a"]))
            _ = try await client.create(.configMaps, configMap("b-1", labels: ["owner": "b"]))
            _ = try await client.create(.configMaps, configMap("unowned"))
            let options = Informer.Options(index: { $0[path: "metadata", "labels", "owner"]?.stringValue })
            let informer = Informer(client: client, type: .configMaps, namespace: "default", options: options, logger: Quiet.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run() }
                var changes = informer.changes.makeAsyncIterator()
                await informer.cache.waitForSync()
                let names = { (owner: String) async in
                    await informer.cache.list(indexedBy: owner).compactMap { $0[path: "metadata", "name"]?.stringValue }
                }
                #expect(await names("a") == ["a-1"])
                #expect(await names("b") == ["b-1"])

                _ = try await client.create(.configMaps, configMap("a-2", labels: ["owner": "a"]))
                _ = try await client.patch(.configMaps, name: "b-1", .merge(["metadata": ["labels": ["owner": "a"]]]))
                try await client.delete(.configMaps, name: "a-1")
                for _ in 0..<6 {
                    guard let change = await changes.next() else { break }
                    if change.kind == .deleted && change.key == "default/a-1" { break }
                }
                #expect(await names("a") == ["a-2", "b-1"])
                #expect(await names("b") == [])
                #expect(await informer.cache.indexValues == ["a"], "an emptied group is gone")
                #expect(await informer.cache.count == 3)
                group.cancelAll()
            }
        }
    }
}

@Suite("Bearer token rotation against the emulator")
struct TokenRotationTests {
    @Test func rotatedTokenFileIsReadAgainAfterA401AndTheRequestRetriedOnce() async throws {
        var options = KubeEmulatorOptions()
        options.acceptedTokens = ["token-one"]
        try await withEmulator(options) { emulator, _, scratch in
            let tokenPath = try scratch.write("token", "token-one\n")
            let client = KubeClient(configuration: KubeConfiguration(
                server: emulator.baseURL, credentials: .bearerTokenFile(path: tokenPath, fallback: nil)), logger: Quiet.logger)
            _ = try await client.create(.configMaps, configMap("before-rotation"))

            try scratch.write("token", "token-two\n")
            await emulator.setAcceptedTokens(["token-two"])
            let fetched = try await client.get(.configMaps, name: "before-rotation")
            #expect(fetched["metadata"]?["name"] == "before-rotation")
            let statuses = await emulator.requests().suffix(2).map(\.status)
            #expect(statuses == [401, 200])

            // A watch opened after another rotation retries the same way.
            try scratch.write("token", "token-three\n")
            await emulator.setAcceptedTokens(["token-three"])
            let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(timeoutSeconds: 1))
            var names: [String] = []
            for try await event in stream where event.type == .added {
                names.append(event.object["metadata"]?["name"]?.stringValue ?? "")
            }
            #expect(names == ["before-rotation"])
        }
    }

    @Test func aRefusedTokenThatDidNotChangeIsNotRetried() async throws {
        var options = KubeEmulatorOptions()
        options.acceptedTokens = ["valid"]
        try await withEmulator(options) { emulator, _, scratch in
            let tokenPath = try scratch.write("token", "revoked")
            let client = KubeClient(configuration: KubeConfiguration(
                server: emulator.baseURL, credentials: .bearerTokenFile(path: tokenPath, fallback: nil)), logger: Quiet.logger)
            await expectError(try await client.get(.configMaps, name: "x")) {
                if case .unauthorized = $0 { return !$0.description.contains("revoked") }
                return false
            }
            #expect(await emulator.requests().count == 1)
        }
    }
}
