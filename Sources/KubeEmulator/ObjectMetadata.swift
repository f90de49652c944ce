import Foundation
import SerinCore

/// Small readers and writers of `metadata` on JSON objects, and the server-set values (uid, timestamps, names).
enum ObjectMetadata {
    static func labels(of object: JSONValue) -> [String: String] {
        guard let labels = object[path: "metadata", "labels"]?.objectValue else { return [:] }
        return labels.compactMapValues { $0.stringValue }
    }

    static func name(of object: JSONValue) -> String? { object[path: "metadata", "name"]?.stringValue }
    static func uid(of object: JSONValue) -> String? { object[path: "metadata", "uid"]?.stringValue }
    static func resourceVersion(of object: JSONValue) -> String? {
        guard let value = object[path: "metadata", "resourceVersion"]?.stringValue, !value.isEmpty else { return nil }
        return value
    }
    static func finalizers(of object: JSONValue) -> [String] {
        object[path: "metadata", "finalizers"]?.arrayValue?.compactMap { $0.stringValue } ?? []
    }
    static func isDeleting(_ object: JSONValue) -> Bool {
        if let value = object[path: "metadata", "deletionTimestamp"], !value.isNull { return true }
        return false
    }

    /// Sets one metadata field (nil removes it).
    static func set(_ key: String, _ value: JSONValue?, in object: inout JSONValue) {
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata[key] = value
        object["metadata"] = .object(metadata)
    }

    /// RFC 3339 in UTC with whole seconds, as Kubernetes writes metav1.Time.
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func newUID() -> String { UUID().uuidString.lowercased() }

    /// The 5 characters generateName appends, from the same alphabet as apimachinery's rand.String.
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement() ?? "x" })
    }

    /// Whether `name` is a DNS-1123 subdomain (most resources) or label (namespaces).
    static func isValidName(_ name: String, label: Bool) -> Bool {
        let maxLength = label ? 63 : 253
        guard !name.isEmpty, name.utf8.count <= maxLength else { return false }
        let parts = label ? [Substring(name)] : name.split(separator: ".", omittingEmptySubsequences: false)
        for part in parts {
            guard let first = part.first, let last = part.last else { return false }
            guard first.isLowercaseAlphanumeric, last.isLowercaseAlphanumeric else { return false }
            guard part.allSatisfy({ $0.isLowercaseAlphanumeric || $0 == "-" }) else { return false }
        }
        return true
    }

    static func nameMessage(_ name: String, label: Bool) -> String {
        let quoted = JSONValue.string(name).serialized
        if label {
            return "Invalid value: \(quoted): a lowercase RFC 1123 label must consist of lower case alphanumeric "
                + "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                + "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        }
        return "Invalid value: \(quoted): a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
            + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    }
}

extension Character {
    fileprivate var isLowercaseAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("0"..."9").contains(self)
    }
}
