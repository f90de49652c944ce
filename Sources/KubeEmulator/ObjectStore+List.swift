import SerinCore

extension ObjectStore {
    /// GET on a collection: the selected objects in key order, paginated by limit/continue, with the store's
    /// resourceVersion at read time.
    func list(_ request: ListRequest) throws(APIStatusError) -> JSONValue {
        let type = request.filter.type
        try checkNotTooLarge(request.resourceVersion)
        var start: String?
        var listVersion = resourceVersion
        if let token = request.continueToken, !token.isEmpty {
            guard let decoded = ContinueToken(decoding: token) else {
                throw .badRequest("continue key is not valid: illegal base64 data at input byte 0")
            }
            start = decoded.start
            listVersion = decoded.resourceVersion
        }
        var selected = objects
            .filter { $0.key.storageKey == type.storageKey && request.filter.matches($0.value) }
            .sorted { $0.key < $1.key }
        if let start { selected = selected.filter { $0.key.sortKey > start } }
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(listVersion))]
        if let limit = request.limit, limit > 0, selected.count > limit {
            let remaining = selected.count - limit
            selected = Array(selected.prefix(limit))
            if let last = selected.last {
                metadata["continue"] = .string(ContinueToken(resourceVersion: listVersion, start: last.key.sortKey).encoded)
                metadata["remainingItemCount"] = .integer(Int64(remaining))
            }
        }
        let items = selected.map { _, object -> JSONValue in
            var item = Self.present(object, as: type)
            if !type.isCustom {
                // Built-in lists carry kind and apiVersion once, on the list.
                item["kind"] = nil
                item["apiVersion"] = nil
            }
            return item
        }
        return ["kind": .string(type.listKind), "apiVersion": .string(type.groupVersion),
                "metadata": .object(metadata), "items": .array(items)]
    }

    /// A resourceVersion newer than the store's answers 504 ResourceVersionTooLarge, as the watch cache does.
    func checkNotTooLarge(_ requested: String?) throws(APIStatusError) {
        guard let requested, !requested.isEmpty, requested != "0" else { return }
        guard let version = Int64(requested) else {
            throw .badRequest("invalid resource version: \(requested)")
        }
        if version > resourceVersion { throw .tooLargeResourceVersion(requested: version, current: resourceVersion) }
    }

    var currentResourceVersion: Int64 { resourceVersion }
}
