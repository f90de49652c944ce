import SerinCore

/// JSON Patch, RFC 6902 (`application/json-patch+json`): an array of operations applied in order to a copy of the
/// document; the first operation that fails (or `test` that does not hold) aborts the whole patch, which
/// kube-apiserver answers with 422.
///
/// - `add`: the parent must exist; an object member is set (replaced if present); an array element is inserted
///   before the index (`0...count`), or appended with `-`; the empty path replaces the whole document.
/// - `remove`, `replace`: the target must exist.
/// - `move`: `from` must exist and must not be a proper prefix of `path`; it is `remove` then `add`.
/// - `copy`: `add` of the value found at `from`.
/// - `test`: the value at `path` must equal `value` (numbers by value, objects regardless of member order).
///
/// Pointers follow RFC 6901 (`~0`, `~1`; array indexes without leading zeros). Members other than `op`, `path`,
/// `from` and `value` are ignored (RFC 6902 section 4). More than `maximumOperations` operations are refused, as
/// kube-apiserver does.
enum JSONPatch {
    /// kube-apiserver's limit on the number of operations in one JSON patch.
    static let maximumOperations = 10_000

    static func apply(_ operations: JSONValue, to document: JSONValue) throws(PatchError) -> JSONValue {
        guard case .array(let list) = operations else {
            throw PatchError(message: "a JSON patch must be an array of operations")
        }
        guard list.count <= maximumOperations else {
            throw PatchError(message: "The allowed maximum operations in a JSON patch is \(maximumOperations), got \(list.count)")
        }
        var current = document
        for (index, operation) in list.enumerated() {
            current = try apply(operation, number: index, to: current)
        }
        return current
    }

    private static func apply(_ operation: JSONValue, number: Int, to document: JSONValue) throws(PatchError) -> JSONValue {
        guard case .object(let members) = operation else {
            throw PatchError(message: "operation \(number) is not a JSON object")
        }
        guard case .string(let name)? = members["op"] else {
            throw PatchError(message: "operation \(number) has no \"op\" string")
        }
        let path = try pointer(members, "path", operation: name)
        switch name {
        case "add":
            return try add(try value(members, operation: name), at: path, in: document)
        case "remove":
            return try remove(at: path, from: document).document
        case "replace":
            _ = try resolve(path, in: document, operation: name)
            let replacement = try value(members, operation: name)
            if path.tokens.isEmpty { return replacement }
            return try add(replacement, at: path, in: remove(at: path, from: document, operation: name).document, operation: name)
        case "move":
            let from = try pointer(members, "from", operation: name)
            if from == path { _ = try resolve(from, in: document, operation: name); return document }
            guard !path.isProperDescendant(of: from) else {
                throw PatchError(message: "move operation cannot move \(JSONPointer.quoted(from.description)) into its own child \(JSONPointer.quoted(path.description))")
            }
            let removed = try remove(at: from, from: document, operation: name)
            return try add(removed.value, at: path, in: removed.document, operation: name)
        case "copy":
            let from = try pointer(members, "from", operation: name)
            return try add(try resolve(from, in: document, operation: name), at: path, in: document, operation: name)
        case "test":
            let expected = try value(members, operation: name)
            let actual = try resolve(path, in: document, operation: name)
            guard actual.isEqual(toJSON: expected) else {
                throw PatchError(message: "testing value \(path.description) failed: test failed")
            }
            return document
        default:
            throw PatchError(message: "Unexpected kind: \(name)")
        }
    }

    // MARK: Operation members

    private static func pointer(_ members: [String: JSONValue], _ key: String, operation: String) throws(PatchError) -> JSONPointer {
        guard case .string(let text)? = members[key] else {
            throw PatchError(message: "\(operation) operation has no \"\(key)\" string")
        }
        return try JSONPointer(parsing: text)
    }

    /// The `value` member; an explicit `null` is a value, an absent member is an error.
    private static func value(_ members: [String: JSONValue], operation: String) throws(PatchError) -> JSONValue {
        guard let value = members["value"] else {
            throw PatchError(message: "\(operation) operation has no \"value\"")
        }
        return value
    }

    // MARK: Document edits

    /// The value at `pointer`, which must exist.
    static func resolve(_ pointer: JSONPointer, in document: JSONValue, operation: String = "test") throws(PatchError) -> JSONValue {
        var current = document
        for token in pointer.tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { throw missing(pointer, operation) }
                current = next
            case .array(let items):
                guard let index = JSONPointer.arrayIndex(token), index < items.count else { throw missing(pointer, operation) }
                current = items[index]
            default:
                throw missing(pointer, operation)
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at pointer: JSONPointer, in document: JSONValue, operation: String = "add") throws(PatchError) -> JSONValue {
        guard let (parentTokens, last) = pointer.parentAndLast else { return value }
        return try edit(document, along: parentTokens[...], pointer: pointer, operation: operation) { container throws(PatchError) in
            switch container {
            case .object(var members):
                members[last] = value
                return .object(members)
            case .array(var items):
                if last == "-" {
                    items.append(value)
                } else if let index = JSONPointer.arrayIndex(last), index <= items.count {
                    items.insert(value, at: index)
                } else {
                    throw PatchError(message: "\(operation) operation does not apply: index \(JSONPointer.quoted(last)) of \(JSONPointer.quoted(pointer.description)) is out of bounds for an array of \(items.count)")
                }
                return .array(items)
            default:
                throw missing(pointer, operation)
            }
        }
    }

    private static func remove(at pointer: JSONPointer, from document: JSONValue, operation: String = "remove") throws(PatchError) -> (document: JSONValue, value: JSONValue) {
        guard let (parentTokens, last) = pointer.parentAndLast else {
            throw PatchError(message: "\(operation) operation does not apply: the whole document cannot be removed")
        }
        var removed: JSONValue = .null
        let result = try edit(document, along: parentTokens[...], pointer: pointer, operation: operation) { container throws(PatchError) in
            switch container {
            case .object(var members):
                guard let value = members.removeValue(forKey: last) else { throw missing(pointer, operation) }
                removed = value
                return .object(members)
            case .array(var items):
                guard let index = JSONPointer.arrayIndex(last), index < items.count else { throw missing(pointer, operation) }
                removed = items.remove(at: index)
                return .array(items)
            default:
                throw missing(pointer, operation)
            }
        }
        return (result, removed)
    }

    /// Rebuilds `value` with `change` applied to the container at `tokens` (which must exist).
    private static func edit(
        _ value: JSONValue, along tokens: ArraySlice<String>, pointer: JSONPointer, operation: String,
        _ change: (JSONValue) throws(PatchError) -> JSONValue
    ) throws(PatchError) -> JSONValue {
        guard let token = tokens.first else { return try change(value) }
        let rest = tokens.dropFirst()
        switch value {
        case .object(var members):
            guard let child = members[token] else { throw missing(pointer, operation) }
            members[token] = try edit(child, along: rest, pointer: pointer, operation: operation, change)
            return .object(members)
        case .array(var items):
            guard let index = JSONPointer.arrayIndex(token), index < items.count else { throw missing(pointer, operation) }
            items[index] = try edit(items[index], along: rest, pointer: pointer, operation: operation, change)
            return .array(items)
        default:
            throw missing(pointer, operation)
        }
    }

    private static func missing(_ pointer: JSONPointer, _ operation: String) -> PatchError {
        PatchError(message: "\(operation) operation does not apply: doc is missing path: \(JSONPointer.quoted(pointer.description))")
    }
}
