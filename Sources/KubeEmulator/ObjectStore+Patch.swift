import SerinCore

extension ObjectStore {
    /// PATCH: the patch applied to the current object, then stored like an update (a conflict only when the patch
    /// names a resourceVersion that is not the current one).
    func patch(_ type: ResourceType, namespace: String?, name: String, patchType: PatchType, patch: JSONValue,
               subresource: Subresource, dryRun: Bool) throws(APIStatusError) -> JSONValue
    {
        let current = try get(type, namespace: namespace, name: name)
        let patched = try Self.apply(patch, of: patchType, to: current, type: type)
        return try update(type, namespace: namespace, name: name, body: patched, subresource: subresource,
                          dryRun: dryRun, isPatch: true)
    }

    static func apply(_ patch: JSONValue, of patchType: PatchType, to current: JSONValue, type: ResourceType)
        throws(APIStatusError) -> JSONValue
    {
        switch patchType {
        case .mergePatch:
            guard case .object = patch else { throw .badRequest("error decoding patch: not a JSON object") }
            return JSONMergePatch.apply(patch, to: current)
        case .jsonPatch:
            guard case .array = patch else {
                throw .badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            }
            do {
                return try JSONPatch.apply(patch, to: current)
            } catch {
                throw .unprocessable("the server rejected our request due to an error in our request")
            }
        case .strategicMergePatch:
            if type.isCustom { throw unsupportedForCustomResources }
            guard case .object = patch else { throw .badRequest("error decoding patch: not a JSON object") }
            do {
                return try StrategicMergePatch.apply(patch, to: current, kind: type.kind)
            } catch {
                throw .unprocessable(error.message)
            }
        case .applyPatch:
            throw .unsupportedMediaType(
                "server-side apply is not supported by the emulator; accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
        }
    }

    static let unsupportedForCustomResources = APIStatusError.unsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
}
