import SerinCore

/// What a CustomResourceDefinition means to the emulator: the resource types it serves, and the status the
/// apiextensions controllers would give it (Established, NamesAccepted).
enum CustomResourceDefinitions {
    /// One resource type per served version.
    static func resourceTypes(of definition: JSONValue) -> [ResourceType] {
        guard let spec = definition["spec"], let group = spec["group"]?.stringValue,
              let plural = spec[path: "names", "plural"]?.stringValue,
              let kind = spec[path: "names", "kind"]?.stringValue
        else { return [] }
        let singular = spec[path: "names", "singular"]?.stringValue ?? kind.lowercased()
        let shortNames = spec[path: "names", "shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let categories = spec[path: "names", "categories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let namespaced = spec["scope"]?.stringValue != "Cluster"
        return (spec["versions"]?.arrayValue ?? []).compactMap { version in
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue ?? true else { return nil }
            return ResourceType(group: group, version: name, plural: plural, singular: singular, kind: kind,
                                namespaced: namespaced, shortNames: shortNames, categories: categories,
                                hasStatusSubresource: version[path: "subresources", "status"] != nil,
                                isCustom: true, tracksGeneration: true)
        }
    }

    static func causes(_ definition: JSONValue) -> [APIStatusError.Cause] {
        var causes: [APIStatusError.Cause] = []
        let spec = definition["spec"]
        let group = spec?["group"]?.stringValue ?? ""
        let plural = spec?[path: "names", "plural"]?.stringValue ?? ""
        if group.isEmpty { causes.append(.init(reason: "FieldValueRequired", field: "spec.group", message: "Required value")) }
        if plural.isEmpty {
            causes.append(.init(reason: "FieldValueRequired", field: "spec.names.plural", message: "Required value"))
        }
        if spec?[path: "names", "kind"]?.stringValue == nil {
            causes.append(.init(reason: "FieldValueRequired", field: "spec.names.kind", message: "Required value"))
        }
        if (spec?["versions"]?.arrayValue ?? []).isEmpty {
            causes.append(.init(reason: "FieldValueRequired", field: "spec.versions", message: "Required value"))
        }
        let name = ObjectMetadata.name(of: definition) ?? ""
        if !group.isEmpty, !plural.isEmpty, name != "\(plural).\(group)" {
            causes.append(.init(field: "metadata.name",
                                message: "Invalid value: \(JSONValue.string(name).serialized): must be spec.names.plural+\".\"+spec.group"))
        }
        return causes
    }

    /// Defaults, and the status a CRD is stored with before any controller has looked at it.
    static func prepare(_ definition: inout JSONValue) {
        var spec = definition["spec"]?.objectValue ?? [:]
        var names = spec["names"]?.objectValue ?? [:]
        if names["listKind"] == nil, let kind = names["kind"]?.stringValue { names["listKind"] = .string(kind + "List") }
        if names["singular"] == nil, let kind = names["kind"]?.stringValue { names["singular"] = .string(kind.lowercased()) }
        spec["names"] = .object(names)
        if spec["conversion"] == nil { spec["conversion"] = ["strategy": "None"] }
        definition["spec"] = .object(spec)
        let stored = (spec["versions"]?.arrayValue ?? []).filter { $0["storage"]?.boolValue == true }.compactMap { $0["name"] }
        definition["status"] = ["conditions": .null, "acceptedNames": ["plural": "", "kind": ""],
                                "storedVersions": .array(stored)]
    }

    /// The status the apiextensions controllers set once the names are accepted: NamesAccepted and Established.
    static func established(_ definition: JSONValue) -> JSONValue {
        var definition = definition
        let names = definition[path: "spec", "names"] ?? [:]
        let now = JSONValue.string(ObjectMetadata.timestamp())
        let stored = definition[path: "status", "storedVersions"] ?? []
        definition["status"] = [
            "conditions": [
                ["type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
                 "message": "no conflicts found"],
                ["type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"],
            ],
            "acceptedNames": names,
            "storedVersions": stored,
        ]
        return definition
    }
}
