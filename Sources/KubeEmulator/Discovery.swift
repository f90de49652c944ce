import SerinCore

/// Legacy JSON discovery (APIVersions, APIGroupList, APIGroup, APIResourceList), built from the types served now,
/// so custom resources appear as soon as their CRD is created.
enum Discovery {
    static let version: JSONValue = [
        "major": "1", "minor": "32", "emulationMajor": "1", "emulationMinor": "32", "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "31", "gitVersion": "v1.32.0-kube-emulator", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64",
    ]

    static func coreVersions(port: Int) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string("127.0.0.1:\(port)")]]]
    }

    static func groupList(_ types: [ResourceType]) -> JSONValue {
        let groups = Set(types.map(\.group)).subtracting([""]).sorted()
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.compactMap { groupEntry($0, types) })]
    }

    static func group(_ name: String, _ types: [ResourceType]) -> JSONValue? {
        guard var entry = groupEntry(name, types)?.objectValue else { return nil }
        entry["kind"] = "APIGroup"
        entry["apiVersion"] = "v1"
        return .object(entry)
    }

    private static func groupEntry(_ group: String, _ types: [ResourceType]) -> JSONValue? {
        let versions = Set(types.filter { $0.group == group }.map(\.version)).sorted().reversed()
        guard let preferred = versions.first else { return nil }
        func version(_ name: String) -> JSONValue { ["groupVersion": .string("\(group)/\(name)"), "version": .string(name)] }
        return ["name": .string(group), "versions": .array(versions.map(version)), "preferredVersion": version(preferred)]
    }

    static func resourceList(group: String, version: String, _ types: [ResourceType]) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.version == version }.sorted { $0.plural < $1.plural }
        guard let first = served.first else { return nil }
        var list: [String: JSONValue] = [
            "kind": "APIResourceList", "groupVersion": .string(first.groupVersion),
            "resources": .array(served.flatMap(\.discoveryEntries)),
        ]
        if !group.isEmpty { list["apiVersion"] = "v1" }
        return .object(list)
    }
}
