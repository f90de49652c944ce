import SerinCore

/// One field where a live object differs from what Serin wants.
struct FieldDifference: Sendable, Hashable, CustomStringConvertible {
    /// `spec.template.spec.containers[0].image`
    var path: String
    var live: JSONValue?
    var wanted: JSONValue

    var description: String {
        "\(path) was \(Self.shown(live)), set to \(Self.shown(wanted))"
    }

    private static func shown(_ value: JSONValue?) -> String {
        guard let value else { return "unset" }
        let text = value.serialized
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }
}

/// Compares and writes only the fields Serin sets. A desired object is a partial object: every field in it is
/// Serin's, everything else belongs to the API server (defaults such as `imagePullPolicy` or a Service's
/// `clusterIP`) or to other tools (labels, annotations), and is neither compared nor overwritten. So defaulting never
/// looks like drift, and a steady state writes nothing.
///
/// Lists are Serin's whole (containers, ports, env): a list of another length differs, and an update replaces it,
/// which is how an added environment variable or sidecar edited into a Deployment is reverted. Within list
/// elements, objects are again compared field by field. Maps in `exactPaths` (label selectors) are Serin's whole too.
struct OwnedFields {
    var exactPaths: Set<String> = []

    /// The fields of `wanted` that `live` does not hold, in path order.
    func differences(wanted: JSONValue, live: JSONValue) -> [FieldDifference] {
        var found: [FieldDifference] = []
        compare(wanted, live, path: "", into: &found)
        return found
    }

    /// `live` with every field of `wanted` written over it: what an update sends, so that fields Serin does not own
    /// (a Service's clusterIP, labels others added) survive it.
    func overlay(_ wanted: JSONValue, onto live: JSONValue, path: String = "") -> JSONValue {
        guard case .object(let wantedMembers) = wanted, case .object(var liveMembers) = live, !exactPaths.contains(path) else {
            return wanted
        }
        for (key, value) in wantedMembers {
            let child = Self.join(path, key)
            liveMembers[key] = liveMembers[key].map { overlay(value, onto: $0, path: child) } ?? value
        }
        return .object(liveMembers)
    }

    private func compare(_ wanted: JSONValue, _ live: JSONValue?, path: String, into found: inout [FieldDifference]) {
        guard let live else {
            found.append(FieldDifference(path: path, live: nil, wanted: wanted))
            return
        }
        switch (wanted, live) {
        case (.object(let wantedMembers), .object(let liveMembers)):
            if exactPaths.contains(path) {
                if !Self.equivalent(wanted, live, path: path) { found.append(FieldDifference(path: path, live: live, wanted: wanted)) }
                return
            }
            for key in wantedMembers.keys.sorted() {
                if let value = wantedMembers[key] { compare(value, liveMembers[key], path: Self.join(path, key), into: &found) }
            }
        case (.array(let wantedItems), .array(let liveItems)) where wantedItems.count == liveItems.count:
            for (index, item) in wantedItems.enumerated() {
                compare(item, liveItems[index], path: "\(path)[\(index)]", into: &found)
            }
        default:
            if !Self.equivalent(wanted, live, path: path) { found.append(FieldDifference(path: path, live: live, wanted: wanted)) }
        }
    }

    /// Equality as the API server means it: numbers by value, and resource quantities by value too, since the
    /// server may write `0.5` back as `500m`.
    static func equivalent(_ wanted: JSONValue, _ live: JSONValue, path: String) -> Bool {
        if wanted == live { return true }
        switch (wanted, live) {
        case (.integer, .double), (.double, .integer), (.double, .double):
            return wanted.numberValue == live.numberValue
        case (.string(let a), .string(let b)) where path.contains("resources."):
            guard let first = Quantity(parsing: a), let second = Quantity(parsing: b) else { return false }
            return abs(first.value - second.value) <= abs(first.value) * 1e-12
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equivalent(value, $0, path: join(path, key)) } ?? false }
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equivalent($0, $1, path: path) }
        default:
            return false
        }
    }

    private static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}

extension JSONValue {
    var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}
