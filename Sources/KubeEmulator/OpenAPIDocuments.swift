import SerinCore

/// A minimal OpenAPI v3 surface: the root listing each group/version, and per group/version only the PATCH
/// operations with their `fieldValidation` parameter and group/version/kind. That is what kubectl's
/// `--validate=strict` (its default) looks for to leave validation to the server, so kubectl needs no
/// `--validate=false`; without schemas, client-side apply falls back to its compiled-in patch metadata.
enum OpenAPIDocuments {
    static func root(_ types: [ResourceType]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for (groupVersion, served) in Dictionary(grouping: types, by: \.groupVersion) {
            let prefix = served.first.map { $0.group.isEmpty ? "api/v1" : "apis/\(groupVersion)" } ?? groupVersion
            let hash = ObjectStore.templateHash(.array(served.sorted { $0.plural < $1.plural }.map { .string($0.plural + $0.kind) }))
            paths[prefix] = ["serverRelativeURL": .string("/openapi/v3/\(prefix)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    static func groupVersion(group: String, version: String, _ types: [ResourceType]) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        for type in served {
            let base = group.isEmpty ? "/api/v1" : "/apis/\(group)/\(version)"
            let path = type.namespaced
                ? "\(base)/namespaces/{namespace}/\(type.plural)/{name}" : "\(base)/\(type.plural)/{name}"
            paths[path] = [
                "patch": [
                    "x-kubernetes-group-version-kind": ["group": .string(group), "version": .string(version),
                                                        "kind": .string(type.kind)],
                    "parameters": [
                        ["name": "fieldValidation", "in": "query", "schema": ["type": "string"]],
                        ["name": "fieldManager", "in": "query", "schema": ["type": "string"]],
                        ["name": "dryRun", "in": "query", "schema": ["type": "string"]],
                    ],
                    "responses": [:],
                ]
            ]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": .object(paths),
                "components": ["schemas": [:]]]
    }
}
