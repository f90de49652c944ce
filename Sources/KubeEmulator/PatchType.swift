import Foundation
/// The patch formats, by the Content-Type of a PATCH.
enum PatchType: Sendable {
    case jsonPatch
    case mergePatch
    case strategicMergePatch
    case applyPatch

    init?(contentType: String?) {
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        switch mediaType {
        case "application/json-patch+json": self = .jsonPatch
        case "application/merge-patch+json": self = .mergePatch
        case "application/strategic-merge-patch+json": self = .strategicMergePatch
        case "application/apply-patch+yaml", "application/apply-patch+cbor": self = .applyPatch
        default: return nil
        }
    }
}
