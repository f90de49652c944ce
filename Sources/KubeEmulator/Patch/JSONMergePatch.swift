import SerinCore

/// JSON Merge Patch, RFC 7386 (`application/merge-patch+json`), exactly as the RFC's MergePatch pseudo-code
/// defines it:
/// - an object patch merges member by member into the target (a target that is not an object counts as `{}`);
/// - a member whose patch value is `null` is removed from the target (absent members stay absent);
/// - any other patch value (string, number, boolean, array, `null` at the top) replaces the target whole.
///
/// Arrays are never merged: a list such as `metadata.finalizers` or `status.conditions` has to be sent whole.
enum JSONMergePatch {
    static func apply(_ patch: JSONValue, to document: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var target = document.objectValue ?? [:]
        for (name, value) in patchMembers {
            if value == .null {
                target[name] = nil
            } else {
                target[name] = apply(value, to: target[name] ?? .null)
            }
        }
        return .object(target)
    }
}
