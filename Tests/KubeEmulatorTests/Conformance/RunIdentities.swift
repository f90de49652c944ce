import SerinCore

/// Values the server chooses per run (resourceVersions, uids, continue tokens, generated names), learned by pairing
/// each recorded response with the emulator's answer to the same request, and substituted into later requests.
/// resourceVersions are compared only for order, never for their numbers.
struct RunIdentities: Sendable {
    private(set) var resourceVersions: [String: String] = [:]
    private(set) var uids: [String: String] = [:]
    private(set) var continueTokens: [String: String] = [:]
    private(set) var names: [String: String] = [:]

    /// Learns what the recorded and actual answers to one request have in the same places.
    mutating func learn(recorded: JSONValue, actual: JSONValue) {
        pair(recorded[path: "metadata", "resourceVersion"], actual[path: "metadata", "resourceVersion"], into: &resourceVersions)
        pair(recorded[path: "metadata", "uid"], actual[path: "metadata", "uid"], into: &uids)
        pair(recorded[path: "metadata", "continue"], actual[path: "metadata", "continue"], into: &continueTokens)
        if recorded[path: "metadata", "generateName"] != nil {
            pair(recorded[path: "metadata", "name"], actual[path: "metadata", "name"], into: &names)
        }
        if let recordedItems = recorded["items"]?.arrayValue, let actualItems = actual["items"]?.arrayValue,
           recordedItems.count == actualItems.count {
            for (left, right) in zip(recordedItems, actualItems) { learn(recorded: left, actual: right) }
        }
    }

    private func pair(_ recorded: JSONValue?, _ actual: JSONValue?, into map: inout [String: String]) {
        guard let recorded = recorded?.stringValue, let actual = actual?.stringValue, map[recorded] == nil else { return }
        map[recorded] = actual
    }

    /// The recorded path with run-specific values in its query replaced by this run's.
    func translate(path: String) -> String {
        guard let question = path.firstIndex(of: "?") else { return path }
        let query = path[path.index(after: question)...].split(separator: "&").map { item -> String in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return String(item) }
            switch parts[0] {
            case "resourceVersion": return "resourceVersion=" + (resourceVersions[parts[1]] ?? parts[1])
            case "continue": return "continue=" + (continueTokens[parts[1]] ?? parts[1])
            default: return String(item)
            }
        }
        return String(path[...question]) + query.joined(separator: "&")
    }

    /// The recorded body with run-specific metadata replaced by this run's.
    func translate(body: JSONValue) -> JSONValue {
        var body = body
        guard var metadata = body["metadata"]?.objectValue else { return body }
        if let rv = metadata["resourceVersion"]?.stringValue { metadata["resourceVersion"] = .string(resourceVersions[rv] ?? rv) }
        if let uid = metadata["uid"]?.stringValue { metadata["uid"] = .string(uids[uid] ?? uid) }
        body["metadata"] = .object(metadata)
        return body
    }

    /// Whether two resourceVersions of the recording and of this run stand in the same order.
    static func sameOrder(_ recorded: (String, String), _ actual: (String, String)) -> Bool {
        guard let r0 = Int(recorded.0), let r1 = Int(recorded.1), let a0 = Int(actual.0), let a1 = Int(actual.1) else { return false }
        return (r0 < r1) == (a0 < a1) && (r0 == r1) == (a0 == a1)
    }
}
