import SerinCore

/// Compares the emulator's answer with kube-apiserver's recorded one, by the conformance rules: the status code;
/// for Status objects kind, status, reason, code, details (name, group, kind) and message; for objects kind,
/// apiVersion, name, namespace, generation, labels, annotations, finalizers, whether deletionTimestamp is set, and
/// every field outside metadata (spec, status, and the top-level fields of kinds such as Event); for watches the
/// sequence of event types with the objects' names and generations. Per-run values are normalised by rule: uids,
/// resourceVersions (order only), timestamps, managedFields, generateName suffixes. A case's `KnownDivergence`
/// narrows what is compared for it, and nothing else does.
struct ConformanceComparison {
    var identities: RunIdentities
    var divergence: KnownDivergence?
    private(set) var differences: [String] = []

    init(identities: RunIdentities, divergence: KnownDivergence? = nil) {
        self.identities = identities
        self.divergence = divergence
    }

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
        case nil:
            if case .otherValues? = divergence {
                compareShape(recorded, actual, at: place)
            } else if recorded != actual {
                differ(place, recorded: recorded, actual: actual)
            }
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

    /// The server's current resourceVersion inside messages (`current: 219`, `too old resource version: 5 (10)`)
    /// differs per run; every other number (a requested resourceVersion, an RFC, a status code) is compared.
    static func normaliseMessage(_ message: String) -> String {
        message
            .replacing(/current: \d+/, with: "current: <resourceVersion>")
            .replacing(/too old resource version: \d+ \(\d+\)/, with: "too old resource version: <resourceVersion> (<resourceVersion>)")
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
        // Times outside metadata (a Lease's renewTime, an Event's firstTimestamp) are the client's, and compared.
        for field in fields.sorted() where recorded[field] != actual[field] {
            differ("\(place).\(field)", recorded: recorded[field], actual: actual[field])
        }
    }

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

    /// Every group, version and resource the emulator lists must read as the real server's entry for it; and unless
    /// the case is a listed `discoverySubset`, the emulator must list the same groups and resources.
    mutating func compareDiscovery(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        for field in ["kind", "apiVersion", "groupVersion"] where recorded[field] != actual[field] {
            differ("\(place).\(field)", recorded: recorded[field], actual: actual[field])
        }
        if let versions = recorded["versions"], versions != actual["versions"] {
            differ("\(place).versions", recorded: versions, actual: actual["versions"])
        }
        var isSubset = false
        if case .discoverySubset? = divergence { isSubset = true }
        for list in ["groups", "resources"] where !isSubset {
            let names = { (value: JSONValue) in (value[list]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted() }
            if names(recorded) != names(actual) { differ("\(place).\(list) names", recorded: names(recorded), actual: names(actual)) }
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

    /// Documents without a kind whose values are a listed divergence (/version): the same fields must be there.
    mutating func compareShape(_ recorded: JSONValue, _ actual: JSONValue, at place: String) {
        let left = Set(recorded.objectValue?.keys.map { $0 } ?? []), right = Set(actual.objectValue?.keys.map { $0 } ?? [])
        if left != right { differ("\(place) fields", recorded: left.sorted(), actual: right.sorted()) }
    }

    /// Watches: the event types (BOOKMARK included: the real server sends one shortly before timeoutSeconds when
    /// asked, and so does the emulator) and the objects' names and generations, in order.
    mutating func compareWatch(_ recorded: [JSONValue], _ actual: [JSONValue]) {
        func summary(_ events: [JSONValue]) -> [String] {
            events.map { event in
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
