import SerinCore

/// Strategic merge patch (`application/strategic-merge-patch+json`), the apply half of
/// k8s.io/apimachinery/pkg/util/strategicpatch as kube-apiserver runs it (`MergeParallelList` and
/// `IgnoreUnmatchedNulls` on), for the built-in kinds whose list semantics `PatchSchema` records.
///
/// - Objects merge member by member; a `null` member deletes the field.
/// - A list declared `patchStrategy:"merge"` merges: elements that are objects pair up by the merge key
///   (containers by `name`, conditions by `type`, ...) and merge recursively, new ones are added; lists of
///   primitives (`finalizers`) become the set union. Every other list is replaced by the patch's.
/// - Order: the patch's elements keep the patch's order, elements only the server has keep theirs and are
///   interleaved by their live position; `$setElementOrder/<list>` dictates the order of the elements it names.
/// - Directives: `$patch: replace` (an object or list is taken as sent), `$patch: delete` (an object becomes
///   `{}`; in a merging list, deletes every element with that merge key), `$deleteFromPrimitiveList/<list>`,
///   `$setElementOrder/<list>`, and `$retainKeys` (live fields not listed are cleared; a patch field not listed
///   is an error).
/// - A value the patch inserts verbatim (a new field or element, a replaced list) is stored without directives and
///   without `null` members, as the API server's typed decoding would leave it.
///
/// Patch errors carry apimachinery's messages (`map: map[image:x] does not contain declared merge key: name`).
enum StrategicMergePatch {
    static func apply(_ patch: JSONValue, to document: JSONValue, kind: String) throws(PatchError) -> JSONValue {
        switch patch {
        case .null:
            return document
        case .object(let members):
            return .object(try mergeMap(document.objectValue ?? [:], members, schema: .forKind(kind)))
        case .array: throw notAnObject("array")
        case .string: throw notAnObject("string")
        case .integer, .double: throw notAnObject("number")
        case .bool: throw notAnObject("bool")
        }
    }

    // MARK: Directive names

    static let directiveMarker = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"
    static let setElementOrderPrefix = "$setElementOrder"

    static func isDirectiveKey(_ key: String) -> Bool {
        key == directiveMarker || key == retainKeysDirective || key.hasPrefix(deleteFromPrimitiveListPrefix)
            || key.hasPrefix(setElementOrderPrefix)
    }

    // MARK: Maps

    private static func mergeMap(
        _ original: [String: JSONValue], _ patch: [String: JSONValue], schema: PatchSchema
    ) throws(PatchError) -> [String: JSONValue] {
        var patch = patch
        if let directive = patch[directiveMarker] {
            switch directive {
            case .string("replace"):
                patch[directiveMarker] = nil
                return cleanedMembers(patch)
            case .string("delete"):
                return [:]
            default:
                throw badPatchType(directive, in: .object(patch))
            }
        }
        var result = original
        try applyRetainKeys(to: &result, patch: &patch)
        try applySetElementOrder(to: &result, patch: &patch, schema: schema)

        var deletions: [(field: String, values: JSONValue)] = []
        for key in patch.keys.sorted() {
            guard let value = patch[key] else { continue }
            if key.hasPrefix(deleteFromPrimitiveListPrefix) {
                deletions.append((try extractKey(key, prefix: deleteFromPrimitiveListPrefix), value))
                continue
            }
            if value == .null {
                result[key] = nil
                continue
            }
            guard let current = result[key], current.hasSameGoKind(as: value) else {
                result[key] = cleaned(value)
                continue
            }
            let field = schema.field(key)
            switch (current, value) {
            case (.object(let currentMembers), .object(let patchMembers)):
                result[key] = .object(try mergeMap(currentMembers, patchMembers, schema: field.schema))
            case (.array(let currentItems), .array(let patchItems)):
                switch field.list {
                case .merge(let mergeKey):
                    result[key] = .array(try mergeList(currentItems, patchItems, mergeKey: mergeKey, elementSchema: field.schema))
                case .replace:
                    result[key] = .array(cleanedItems(patchItems))
                }
            default:
                result[key] = value
            }
        }
        for (field, values) in deletions {
            if values == .null {
                result[field] = nil
                continue
            }
            guard case .array(let items)? = result[field], case .array(let unwanted) = values else { continue }
            result[field] = .array(items.filter { item in !unwanted.contains { $0.isEqual(toJSON: item) } })
        }
        return result
    }

    /// `$retainKeys`: clear the live fields the list does not name; every non-null patch field must be named.
    private static func applyRetainKeys(to original: inout [String: JSONValue], patch: inout [String: JSONValue]) throws(PatchError) {
        guard let directive = patch.removeValue(forKey: retainKeysDirective) else { return }
        guard case .array(let keys) = directive else { throw PatchError(message: "invalid patch format of retainKeys") }
        let retained = Set(keys.map(\.numericallyNormalized))
        for (key, value) in patch where value != .null && !key.hasPrefix(deleteFromPrimitiveListPrefix)
            && !key.hasPrefix(setElementOrderPrefix) && !retained.contains(.string(key)) {
            throw PatchError(message: "invalid patch format of retainKeys")
        }
        original = original.filter { retained.contains(.string($0.key)) }
    }

    /// `$setElementOrder/<list>`: merge the list (if the patch has one) and order the elements named by the
    /// directive as it says; live elements it does not name keep their place relative to the live list.
    private static func applySetElementOrder(
        to original: inout [String: JSONValue], patch: inout [String: JSONValue], schema: PatchSchema
    ) throws(PatchError) {
        for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
            guard let directive = patch.removeValue(forKey: key) else { continue }
            guard case .array(let order) = directive else { throw badArgType(expected: "[]interface {}", directive) }
            let name = try extractKey(key, prefix: setElementOrderPrefix)
            let field = schema.field(name)
            let mergeKey: String? = if case .merge(let key) = field.list { key } else { nil }

            var originalList: [JSONValue]?
            if let value = original[name] {
                guard case .array(let items) = value else { throw badArgType(expected: "[]interface {}", value) }
                originalList = items
            }
            var patchList: [JSONValue]?
            if let value = patch[name] {
                guard case .array(let items) = value else { throw badArgType(expected: "[]interface {}", value) }
                patchList = items
            }
            try validateOrder(of: patchList ?? [], against: order, mergeKey: mergeKey)

            let merged: [JSONValue]
            switch (originalList, patchList) {
            case (let live?, nil):
                merged = live
            case (nil, let sent?):
                merged = cleanedItems(sent)
            case (let live?, let sent?):
                if case .merge = field.list {
                    merged = try mergeList(live, sent, mergeKey: mergeKey, elementSchema: field.schema)
                } else {
                    merged = cleanedItems(sent)
                }
            case (nil, nil):
                continue
            }
            let isMapList = mergeKey != nil && merged.contains { $0.objectValue != nil }
            original[name] = .array(try ordered(
                merged, patchOrder: order, serverOrder: originalList ?? [], mergeKey: isMapList ? mergeKey : nil))
            patch[name] = nil
        }
    }

    /// The patch's elements must appear in the same relative order as in `$setElementOrder` (deletions aside).
    private static func validateOrder(of patchList: [JSONValue], against order: [JSONValue], mergeKey: String?) throws(PatchError) {
        guard !order.isEmpty, !patchList.isEmpty else { return }
        var kept = patchList
        if mergeKey != nil {
            kept = []
            for item in patchList {
                guard case .object(let members) = item else { throw badArgType(expected: "map[string]interface {}", item) }
                if members[directiveMarker] != .string("delete") { kept.append(item) }
            }
        }
        var patchIndex = 0
        var orderIndex = 0
        while patchIndex < kept.count, orderIndex < order.count {
            if kept[patchIndex].objectValue?[directiveMarker] != nil {
                patchIndex += 1
                continue
            }
            if try sameElement(kept[patchIndex], order[orderIndex], mergeKey: mergeKey) { patchIndex += 1 }
            orderIndex += 1
        }
        if patchIndex < kept.count, orderIndex >= order.count {
            throw PatchError(message: "the order in patch list:\n\(GoValueFormat.string(patchList))\n doesn't match "
                + "\(setElementOrderPrefix) list:\n\(GoValueFormat.string(order))")
        }
    }

    private static func sameElement(_ left: JSONValue, _ right: JSONValue, mergeKey: String?) throws(PatchError) -> Bool {
        guard let mergeKey else { return left.isEqual(toJSON: right) }
        let leftKey = try mergeKeyValue(of: left, mergeKey)
        let rightKey = try mergeKeyValue(of: right, mergeKey)
        return leftKey.isEqual(toJSON: rightKey)
    }

    // MARK: Lists

    /// A list with `patchStrategy:"merge"`: primitives as a set union, objects by merge key, with `$patch`
    /// elements (`delete`, `replace`) applied first.
    private static func mergeList(
        _ original: [JSONValue], _ patch: [JSONValue], mergeKey: String?, elementSchema: PatchSchema
    ) throws(PatchError) -> [JSONValue] {
        if original.isEmpty, patch.isEmpty { return original }
        guard try elementKind(original, patch) == "map" else {
            var union: [JSONValue] = []
            for item in original + patch where !union.contains(where: { $0.isEqual(toJSON: item) }) {
                union.append(item)
            }
            return try ordered(union, patchOrder: patch, serverOrder: original, mergeKey: nil)
        }
        guard let mergeKey else {
            throw PatchError(message: "cannot merge lists without merge key")
        }
        var live = original
        var sent: [[String: JSONValue]] = []
        var replace = false
        for item in patch {
            guard case .object(let members) = item else { throw badArgType(expected: "map[string]interface {}", item) }
            guard let directive = members[directiveMarker] else {
                sent.append(members)
                continue
            }
            switch directive {
            case .string("delete"):
                guard let keyValue = members[mergeKey] else { throw noMergeKey(item, mergeKey) }
                live.removeAll { $0.objectValue?[mergeKey]?.isEqual(toJSON: keyValue) == true }
            case .string("replace"):
                replace = true
            case .string("merge"):
                throw PatchError(message: "merging lists cannot yet be specified in the patch")
            default:
                throw badPatchType(directive, in: item)
            }
        }
        if replace {
            live = cleanedItems(sent.map { JSONValue.object($0) })
            sent = []
        }
        var merged = live
        for members in sent {
            guard let keyValue = members[mergeKey] else { throw noMergeKey(.object(members), mergeKey) }
            if let index = merged.firstIndex(where: { $0.objectValue?[mergeKey]?.isEqual(toJSON: keyValue) == true }) {
                merged[index] = .object(try mergeMap(merged[index].objectValue ?? [:], members, schema: elementSchema))
            } else if let added = cleaned(.object(members)) {
                merged.append(added)
            }
        }
        return try ordered(merged, patchOrder: sent.map { JSONValue.object($0) }, serverOrder: live, mergeKey: mergeKey)
    }

    /// The Go kind shared by every element (`map`, `string`, `float64`, ...); lists of lists and mixed lists are
    /// errors, as in apimachinery.
    private static func elementKind(_ lists: [JSONValue]...) throws(PatchError) -> String {
        var kind: String?
        for item in lists.joined() {
            let itemKind = item.goKindName
            if itemKind == "slice" { throw PatchError(message: "lists of lists are not supported") }
            if let kind, kind != itemKind {
                throw PatchError(message: "list element types are not identical: \(GoValueFormat.string(lists.map { JSONValue.array($0) }))")
            }
            kind = itemKind
        }
        return kind ?? "nil"
    }

    /// Orders a merged list: elements present in `patchOrder` in that order, the others in `serverOrder`'s, the
    /// two interleaved so that a server-only element goes before a patch element that follows it in
    /// `serverOrder` (apimachinery's normalizeElementOrder and mergeSortedSlice).
    private static func ordered(
        _ merged: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue], mergeKey: String?
    ) throws(PatchError) -> [JSONValue] {
        func identity(_ item: JSONValue) throws(PatchError) -> JSONValue {
            guard let mergeKey else { return item.numericallyNormalized }
            return try mergeKeyValue(of: item, mergeKey).numericallyNormalized
        }
        func positions(_ list: [JSONValue]) throws(PatchError) -> [JSONValue: Int] {
            var result: [JSONValue: Int] = [:]
            for (index, item) in list.enumerated() {
                let key = try identity(item)
                if result[key] == nil { result[key] = index }
            }
            return result
        }
        let patchPositions = try positions(patchOrder)
        let serverPositions = try positions(serverOrder)

        var fromPatch: [(item: JSONValue, position: Int)] = []
        var serverOnly: [(item: JSONValue, position: Int)] = []
        for item in merged {
            let key = try identity(item)
            if let position = patchPositions[key] {
                fromPatch.append((item, position))
            } else {
                serverOnly.append((item, serverPositions[key] ?? Int.max))
            }
        }
        let right = stableSorted(fromPatch)
        let left = stableSorted(serverOnly)

        var result: [JSONValue] = []
        result.reserveCapacity(merged.count)
        var leftIndex = 0
        var rightIndex = 0
        while leftIndex < left.count || rightIndex < right.count {
            if rightIndex >= right.count {
                result.append(left[leftIndex])
                leftIndex += 1
            } else if leftIndex >= left.count {
                result.append(right[rightIndex])
                rightIndex += 1
            } else if let leftPosition = serverPositions[try identity(left[leftIndex])],
                      let rightPosition = serverPositions[try identity(right[rightIndex])],
                      leftPosition < rightPosition {
                result.append(left[leftIndex])
                leftIndex += 1
            } else {
                result.append(right[rightIndex])
                rightIndex += 1
            }
        }
        return result
    }

    private static func stableSorted(_ items: [(item: JSONValue, position: Int)]) -> [JSONValue] {
        items.enumerated()
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
            .map(\.element.item)
    }

    private static func mergeKeyValue(of item: JSONValue, _ mergeKey: String) throws(PatchError) -> JSONValue {
        guard case .object(let members) = item else { throw badArgType(expected: "map[string]interface {}", item) }
        guard let value = members[mergeKey] else { throw noMergeKey(item, mergeKey) }
        return value
    }

    // MARK: Values taken from the patch as they are

    /// What the API server stores for a value the patch inserts as is: an object carrying `$patch` is dropped
    /// (nil), directive keys and `null` members are removed, recursively.
    static func cleaned(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let members):
            if members[directiveMarker] != nil { return nil }
            return .object(cleanedMembers(members))
        case .array(let items):
            return .array(cleanedItems(items))
        case .null, .bool, .integer, .double, .string:
            return value
        }
    }

    private static func cleanedMembers(_ members: [String: JSONValue]) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for (key, value) in members where !isDirectiveKey(key) && value != .null {
            if let kept = cleaned(value) { result[key] = kept }
        }
        return result
    }

    private static func cleanedItems(_ items: [JSONValue]) -> [JSONValue] { items.compactMap(cleaned) }

    // MARK: Errors, worded as k8s.io/apimachinery/pkg/util/mergepatch words them

    private static func extractKey(_ key: String, prefix: String) throws(PatchError) -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            throw PatchError(message: prefix == setElementOrderPrefix
                ? "invalid patch format of setElementOrder list" : "invalid patch format of primitive list")
        }
        return String(parts[1])
    }

    private static func noMergeKey(_ item: JSONValue, _ mergeKey: String) -> PatchError {
        PatchError(message: "map: \(GoValueFormat.string(item)) does not contain declared merge key: \(mergeKey)")
    }

    private static func badPatchType(_ directive: JSONValue, in item: JSONValue) -> PatchError {
        PatchError(message: "unknown patch type: \(GoValueFormat.string(directive)) in map: \(GoValueFormat.string(item))")
    }

    private static func badArgType(expected: String, _ actual: JSONValue) -> PatchError {
        PatchError(message: "expected a \(expected), but received a \(actual.goTypeName)")
    }

    private static func notAnObject(_ jsonType: String) -> PatchError {
        PatchError(message: "json: cannot unmarshal \(jsonType) into Go value of type map[string]interface {}")
    }
}

extension JSONValue {
    /// The Go type `encoding/json` decodes this value into, as `%s` of a reflect.Type prints it.
    fileprivate var goTypeName: String {
        switch self {
        case .null: return "<nil>"
        case .object: return "map[string]interface {}"
        case .array: return "[]interface {}"
        default: return goKindName
        }
    }
}
