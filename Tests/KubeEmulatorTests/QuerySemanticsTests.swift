import KubeEmulator
import SerinCore
import Testing

/// Lists, selectors, pagination and watches over real HTTP.
@Suite struct QuerySemanticsTests {
    private func names(_ list: JSONValue) -> [String] {
        list["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } ?? []
    }

    @Test func labelAndFieldSelectorsFilterListsAndBadOnesAreBadRequests() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("a", labels: ["tier": "x"]))
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("b", labels: ["tier": "y"]))
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("c"))
            #expect(names(try await emulator.http.get(Fixtures.configMaps + "?labelSelector=tier+in+(x)").json) == ["a"])
            #expect(names(try await emulator.http.get(Fixtures.configMaps + "?labelSelector=tier!%3Dx").json) == ["b", "c"])
            #expect(names(try await emulator.http.get(Fixtures.configMaps + "?fieldSelector=metadata.name%3Db").json) == ["b"])
            let badLabel = try await emulator.http.get(Fixtures.configMaps + "?labelSelector=tier+in+x")
            #expect(badLabel.status == 400)
            #expect(badLabel.json["reason"] == "BadRequest")
            let badField = try await emulator.http.get(Fixtures.configMaps + "?fieldSelector=data.k%3Dv")
            #expect(badField.status == 400)
            #expect(badField.json["message"] == .string(#""data.k" is not a known field selector: only "metadata.name", "metadata.namespace""#))
        }
    }

    @Test func limitAndContinuePageThroughEveryObjectOnce() async throws {
        try await withEmulator { emulator in
            for name in ["a", "b", "c"] { _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap(name)) }
            let first = try await emulator.http.get(Fixtures.configMaps + "?limit=2").json
            #expect(names(first) == ["a", "b"])
            #expect(first[path: "metadata", "remainingItemCount"] == 1)
            let token = try #require(first[path: "metadata", "continue"]?.stringValue)
            let second = try await emulator.http.get(Fixtures.configMaps + "?limit=2&continue=\(token)").json
            #expect(names(second) == ["c"])
            #expect(second[path: "metadata", "continue"] == nil)
        }
    }

    @Test func aResourceVersionNewerThanTheStoreIsTooLarge() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.http.get(Fixtures.configMaps + "?resourceVersion=999999999&resourceVersionMatch=NotOlderThan")
            #expect(answer.status == 504)
            #expect(answer.json[path: "details", "causes"]?.arrayValue?.first?["reason"] == "ResourceVersionTooLarge")
        }
    }

    @Test func aWatchWithoutResourceVersionStartsWithTheCurrentObjects() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("a"))
            let watch = try await emulator.http.get(Fixtures.configMaps + "?watch=1&timeoutSeconds=1")
            #expect(watch.status == 200)
            #expect(watch.events.map { $0["type"] } == ["ADDED"])
            #expect(watch.events.first?[path: "object", "kind"] == "ConfigMap")
        }
    }

    @Test func aWatchFromAListResourceVersionSeesOnlyLaterChangesAndSelectorTransitions() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("a", labels: ["tier": "x"]))
            let listVersion = try #require(try await emulator.http.get(Fixtures.configMaps).json[path: "metadata", "resourceVersion"]?.stringValue)
            _ = try await emulator.http.mergePatch(Fixtures.configMaps + "/a", ["data": ["k": "2"]])
            _ = try await emulator.http.mergePatch(Fixtures.configMaps + "/a", ["metadata": ["labels": ["tier": "y"]]])
            _ = try await emulator.http.mergePatch(Fixtures.configMaps + "/a", ["metadata": ["labels": ["tier": "x"]]])
            _ = try await emulator.http.delete(Fixtures.configMaps + "/a")
            let watch = try await emulator.http.get(
                Fixtures.configMaps + "?watch=true&resourceVersion=\(listVersion)&labelSelector=tier%3Dx&timeoutSeconds=1")
            #expect(watch.events.map { $0["type"] } == ["MODIFIED", "DELETED", "ADDED", "DELETED"])
        }
    }

    @Test func aWatchFromAnExpiredResourceVersionGetsOne410ErrorEvent() async throws {
        var options = KubeEmulatorOptions()
        options.watchHistoryLimit = 2
        try await withEmulator(options) { emulator in
            for name in ["a", "b", "c", "d"] { _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap(name)) }
            let watch = try await emulator.http.get(Fixtures.configMaps + "?watch=1&resourceVersion=1&timeoutSeconds=5")
            #expect(watch.status == 200)
            #expect(watch.events.count == 1)
            let event = try #require(watch.events.first)
            #expect(event["type"] == "ERROR")
            #expect(event[path: "object", "code"] == 410)
            #expect(event[path: "object", "reason"] == "Expired")
            #expect(event[path: "object", "message"]?.stringValue?.hasPrefix("too old resource version: 1 (") == true)
        }
    }

    @Test func aWatchStreamsEventsAsTheyHappen() async throws {
        try await withEmulator { emulator in
            let listVersion = try #require(try await emulator.http.get(Fixtures.configMaps).json[path: "metadata", "resourceVersion"]?.stringValue)
            async let watch = emulator.http.get(
                Fixtures.configMaps + "?watch=1&resourceVersion=\(listVersion)&allowWatchBookmarks=true&timeoutSeconds=2")
            try await Task.sleep(for: .milliseconds(300))
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("live"))
            let events = try await watch.events
            #expect(events.map { $0["type"] } == ["ADDED", "BOOKMARK"])
            #expect(events.last?[path: "object", "kind"] == "ConfigMap")
        }
    }

    @Test func anIdleWatchWithBookmarksGetsThemPeriodically() async throws {
        var options = KubeEmulatorOptions()
        options.watchBookmarkInterval = .milliseconds(100)
        try await withEmulator(options) { emulator in
            let watch = try await emulator.http.get(Fixtures.configMaps + "?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=2")
            let types = watch.events.compactMap { $0["type"]?.stringValue }
            // About twenty are due; more than the closing one shows they are periodic, however busy the machine.
            #expect(types.count >= 2)
            #expect(types.allSatisfy { $0 == "BOOKMARK" })
            #expect(watch.events.first?[path: "object", "metadata", "resourceVersion"] != nil)
        }
    }

    @Test func aWatchListSendsTheCurrentObjectsThenAnInitialEventsEndBookmark() async throws {
        try await withEmulator { emulator in
            _ = try await emulator.http.post(Fixtures.configMaps, Fixtures.configMap("a"))
            let watch = try await emulator.http.get(Fixtures.configMaps
                + "?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
            #expect(watch.events.compactMap { $0["type"]?.stringValue }.prefix(2) == ["ADDED", "BOOKMARK"])
            #expect(watch.events.dropFirst().first?[path: "object", "metadata", "annotations", "k8s.io/initial-events-end"] == "true")
        }
    }
}
