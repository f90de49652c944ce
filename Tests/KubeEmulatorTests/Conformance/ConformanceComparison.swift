import SerinCore

/// Compares the emulator's answer with kube-apiserver's recorded one, by the conformance rules: the status code;
/// for Status objects kind, status, reason, code, details (name, group, kind) and message; for objects kind,
/// apiVersion, name, namespace, generation, labels, annotations, finalizers, whether deletionTimestamp is set, and
/// every field outside metadata (spec, status, and the top-level fields of kinds such as Event); for watches the
/// sequence of event types with the objects' names and generations. Per-run values are normalised by rule: uids,
/// resourceVersions (order only), timestamps, managedFields, generateName suffixes.
struct ConformanceComparison {
    var identities: RunIdentities
    private(set) var differences: [String] = []

    init(identities: RunIdentities) { self.identities = identities }

    mutating func differ(_ what: String, recorded: Any?, actual: Any?) {
        differences.append("\(what): kube-apiserver answered \(describe(recorded)), the emulator \(describe(actual))")
    }

    private func describe(_ value: Any?) -> String {
        switch value {
        case nil: return "nothing"
        case let json as JSONValue: return String(json.serialized.prefix(300))
        case let optional as JSONValue?: return optional.map { String($0.serialized.prefix(300)) } ?? "nothing"
        default: return "\(value!)"
        }
    }

    mutating func compareDocuments(_ recorded: JSONValue, _ actual: JSONValue, at place: String = "body") {
        let kind = recorded["kind"]?.stringValue
        switch kind {
        case "Status": compareStatus(recorded, actual, at: place)
        case let kind? where kind.hasSuffix("List") && recorded["items"] != nil: compareList(recorded, actual, at: place)
        case "APIVersions", "APIGroupList", "APIResourceList": compareDiscovery(recorded, actual, at: place)
        case .some: compareObject(recorded, actual, at: place)
        case nil: compareShape(recorded, actual, at: place)
        }
    }

    mutating func compareStatus(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        for field in ["kind", "status", "reason", "code"] where recorded[field] != actual[field] {
            differ("\(place).\(field)", recorded: recorded[field], actual: actual[field])
        }
        for field in ["name", "group", "kind"] where recorded[path: "details", field] != actual[path: "details", field] {
            differ("\(place).details.\(field)", recorded: recorded[path: "details", field], actual: actual[path: "details", field])
        }
        let left = recorded["message"]?.stringValue.map(Self.normaliseMessage)
        let right = actual["message"]?.stringValue.map(Self.normaliseMessage)
        if left != right { differ("\(place).message", recorded: left, actual: right) }
    }

    /// Resource versions inside messages (`current: 219`, `too old resource version: 5 (10)`) differ per run.
    static func normaliseMessage(_ message: String) -> String {
        var result = ""
        var digits = ""
        for character in message {
            if character.isNumber {
                digits.append(character)
            } else {
                if !digits.isEmpty { result += digits.count >= 2 ? "<n>" : digits; digits = "" }
                result.append(character)
            }
        }
        if !digits.isEmpty { result += digits.count >= 2 ? "<n>" : digits }
        return result
    }

    mutating func compareObject(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        for field in ["kind", "apiVersion"] where recorded[field] != actual[field] {
            differ("\(place).\(field)", recorded: recorded[field], actual: actual[field])
        }
        let left = recorded["metadata"] ?? [:]
        let right = actual["metadata"] ?? [:]
        if let prefix = left["generateName"]?.stringValue {
            let name = right["name"]?.stringValue ?? ""
            if !(name.hasPrefix(prefix) && name.count == prefix.count + 5) {
                differ("\(place).metadata.name (generateName \(prefix))", recorded: left["name"], actual: right["name"])
            }
        } else if left["name"] != right["name"] {
            differ("\(place).metadata.name", recorded: left["name"], actual: right["name"])
        }
        for field in ["namespace", "generation", "labels", "annotations", "finalizers", "generateName"] where left[field] != right[field] {
            differ("\(place).metadata.\(field)", recorded: left[field], actual: right[field])
        }
        if (left["deletionTimestamp"] == nil) != (right["deletionTimestamp"] == nil) {
            differ("\(place).metadata.deletionTimestamp set", recorded: left["deletionTimestamp"] != nil, actual: right["deletionTimestamp"] != nil)
        }
        let fields = Set((recorded.objectValue ?? [:]).keys).union((actual.objectValue ?? [:]).keys).subtracting(["metadata", "kind", "apiVersion"])
        for field in fields.sorted() {
            let l = recorded[field].map(Self.withoutTimes), r = actual[field].map(Self.withoutTimes)
            if l != r { differ("\(place).\(field)", recorded: l, actual: r) }
        }
    }

    /// Times the server stamps (lease renewals are sent by the client and kept) are left alone; only
    /// server-generated metadata is per-run, and it lives in `metadata`, which is compared field by field.
    static func withoutTimes(_ value: JSONValue) -> JSONValue { value }

    mutating func compareList(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        for field in ["kind", "apiVersion"] where recorded[field] != actual[field] {
            differ("\(place).\(field)", recorded: recorded[field], actual: actual[field])
        }
        if (recorded[path: "metadata", "continue"] == nil) != (actual[path: "metadata", "continue"] == nil) {
            differ("\(place).metadata.continue set", recorded: recorded[path: "metadata", "continue"] != nil,
                   actual: actual[path: "metadata", "continue"] != nil)
        }
        let left = recorded["items"]?.arrayValue ?? [], right = actual["items"]?.arrayValue ?? []
        let leftNames = left.map { $0[path: "metadata", "name"]?.stringValue ?? "?" }
        let rightNames = right.map { $0[path: "metadata", "name"]?.stringValue ?? "?" }
        guard leftNames == rightNames else {
            differ("\(place).items names", recorded: leftNames, actual: rightNames)
            return
        }
        for (index, (l, r)) in zip(left, right).enumerated() {
            // Items of a list carry no kind; compare them as the objects they are.
            var l = l, r = r
            l["kind"] = nil; r["kind"] = nil; l["apiVersion"] = nil; r["apiVersion"] = nil
            compareObject(l, r, at: "\(place).items[\(index)]")
        }
    }

    /// The emulator serves a subset of kube-apiserver's resources: every group, version and resource it lists must
    /// read as the real server's entry for it, and the resources Serin and kubectl use must be there.
    mutating func compareDiscovery(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        for field in ["kind", "apiVersion", "groupVersion"] where recorded[field] != actual[field] {
            differ("\(place).\(field)", recorded: recorded[field], actual: actual[field])
        }
        if let versions = recorded["versions"], versions != actual["versions"] {
            differ("\(place).versions", recorded: versions, actual: actual["versions"])
        }
        if let groups = recorded["groups"]?.arrayValue {
            let real = Dictionary(groups.compactMap { g in g["name"]?.stringValue.map { ($0, g) } }, uniquingKeysWith: { a, _ in a })
            for group in actual["groups"]?.arrayValue ?? [] {
                guard let name = group["name"]?.stringValue, let expected = real[name] else { continue }
                if expected["preferredVersion"] != group["preferredVersion"] {
                    differ("\(place).groups[\(name)].preferredVersion", recorded: expected["preferredVersion"], actual: group["preferredVersion"])
                }
            }
        }
        if let resources = recorded["resources"]?.arrayValue {
            let real = Dictionary(resources.compactMap { r in r["name"]?.stringValue.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
            for resource in actual["resources"]?.arrayValue ?? [] {
                guard let name = resource["name"]?.stringValue else { continue }
                guard let expected = real[name] else {
                    differ("\(place).resources[\(name)]", recorded: nil, actual: resource)
                    continue
                }
                for field in ["namespaced", "kind", "singularName", "shortNames"] where expected[field] != resource[field] {
                    differ("\(place).resources[\(name)].\(field)", recorded: expected[field], actual: resource[field])
                }
                let verbs = { (value: JSONValue?) in Set(value?.arrayValue?.compactMap(\.stringValue) ?? []) }
                if verbs(expected["verbs"]) != verbs(resource["verbs"]) {
                    differ("\(place).resources[\(name)].verbs", recorded: expected["verbs"], actual: resource["verbs"])
                }
            }
        }
    }

    /// Documents without a kind (/version): the same fields must be there. Their values are the server's version,
    /// which differs by design (the emulator reports the Kubernetes release Serin targets, 1.32).
    mutating func compareShape(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        let left = Set(recorded.objectValue?.keys.map { $0 } ?? []), right = Set(actual.objectValue?.keys.map { $0 } ?? [])
        if !left.isSubset(of: right) { differ("\(place) fields", recorded: left.sorted(), actual: right.sorted()) }
    }

    /// Watches: the event types and the objects' names and generations, in order. Bookmarks are timing-dependent
    /// (the real server sends one when it likes before the timeout), so they are left out on both sides.
    mutating func compareWatch(_ recorded: [JSONValue], _ actual: [JSONValue]) {
        func summary(_ events: [JSONValue]) -> [String] {
            events.filter { $0["type"]?.stringValue != "BOOKMARK" }.map { event in
                let type = event["type"]?.stringValue ?? "?"
                let name = event[path: "object", "metadata", "name"]?.stringValue ?? "-"
                let generation = event[path: "object", "metadata", "generation"]?.integerValue.map(String.init) ?? "-"
                return "\(type) \(name) generation \(generation)"
            }
        }
        let left = summary(recorded), right = summary(actual)
        if left != right { differ("watch events", recorded: left, actual: right) }
    }
}
