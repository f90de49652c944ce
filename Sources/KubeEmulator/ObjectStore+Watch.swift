import SerinCore

extension ObjectStore {
    /// Opens a watch. Without a resourceVersion (or with "0") it starts with a synthetic ADDED per selected object;
    /// from resourceVersion N it replays the history after N. When N has left the history (or `forceExpired`),
    /// the stream holds one ERROR event with a 410 Expired Status and ends, as the real server answers.
    func watch(_ request: ListRequest, forceExpired: Bool) -> (id: Int, events: AsyncStream<JSONValue>) {
        let (stream, continuation) = AsyncStream.makeStream(of: JSONValue.self, bufferingPolicy: .unbounded)
        let filter = request.filter
        let type = filter.type
        let requested = request.resourceVersion ?? ""
        if request.sendInitialEvents {
            let current = objects.filter { $0.key.storageKey == type.storageKey && filter.matches($0.value) }
                .sorted { $0.key < $1.key }
            for (_, object) in current { continuation.yield(Self.eventLine(.added, Self.present(object, as: type))) }
            var end = bookmark(for: type)
            end["object"]?["metadata"]?["annotations"] = ["k8s.io/initial-events-end": "true"]
            continuation.yield(end)
        } else if requested.isEmpty || requested == "0" {
            let current = objects.filter { $0.key.storageKey == type.storageKey && filter.matches($0.value) }
                .sorted { $0.key < $1.key }
            let initial = conformanceFaults.contains(.omitsInitialWatchEvents) ? [] : current
            for (_, object) in initial { continuation.yield(Self.eventLine(.added, Self.present(object, as: type))) }
        } else {
            let version = Int64(requested) ?? 0
            if forceExpired || version < compactedThrough {
                let oldest = forceExpired ? max(compactedThrough, resourceVersion) : compactedThrough
                let status = APIStatusError.expired("too old resource version: \(version) (\(oldest))").status
                continuation.yield(Self.eventLine(.error, status))
                continuation.finish()
                return (-1, stream)
            }
            for event in history where event.resourceVersion > version {
                guard let (eventType, object) = filter.translate(event) else { continue }
                continuation.yield(Self.eventLine(eventType, Self.present(object, as: type)))
            }
        }
        let id = nextWatchID
        nextWatchID += 1
        watchers[id] = ActiveWatch(filter: filter, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatch(id) }
        }
        return (id, stream)
    }

    /// Queues a BOOKMARK for one watch, after the events already queued for it.
    func sendBookmark(_ id: Int) {
        guard let watch = watchers[id] else { return }
        watch.continuation.yield(bookmark(for: watch.filter.type))
    }

    /// Ends a watch in order: a BOOKMARK with the current resourceVersion (when asked for) after every event
    /// already queued for it, then the end of its stream. Going through the stream matters: a bookmark written
    /// past queued events would make a client resume after events it never saw.
    func finishWatch(_ id: Int, bookmark: Bool) {
        guard let watch = watchers.removeValue(forKey: id) else { return }
        if bookmark { watch.continuation.yield(self.bookmark(for: watch.filter.type)) }
        watch.continuation.finish()
    }

    /// A BOOKMARK line for a watch of `type`: an object of the watched kind carrying only the current resourceVersion.
    func bookmark(for type: ResourceType) -> JSONValue {
        Self.eventLine(.bookmark, [
            "kind": .string(type.kind), "apiVersion": .string(type.groupVersion),
            "metadata": ["resourceVersion": .string(String(resourceVersion))],
        ])
    }
}
