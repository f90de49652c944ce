import SerinCore

/// When metadata.generation moves, by the registry strategies of the real server: custom resources on any change
/// outside metadata (and outside status when status is a subresource), Deployments on spec or annotation changes,
/// CRDs on spec changes; never for labels, finalizers or status; types without generation never get one.
enum GenerationRule {
    static func shouldBump(_ type: ResourceType, old: JSONValue, new: JSONValue) -> Bool {
        guard type.tracksGeneration else { return false }
        if type.isCustom {
            var oldBody = old.objectValue ?? [:]
            var newBody = new.objectValue ?? [:]
            for key in ["metadata", "kind", "apiVersion"] + (type.hasStatusSubresource ? ["status"] : []) {
                oldBody[key] = nil
                newBody[key] = nil
            }
            return oldBody != newBody
        }
        if old["spec"] != new["spec"] { return true }
        if type.plural == "deployments" {
            return old[path: "metadata", "annotations"] != new[path: "metadata", "annotations"]
        }
        return false
    }
}
