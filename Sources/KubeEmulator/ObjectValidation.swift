import SerinCore

/// The validation the emulator reproduces: names, and the Deployment rules clients trip over most.
enum ObjectValidation {
    static func causes(for object: JSONValue, of type: ResourceType) -> [APIStatusError.Cause] {
        var causes: [APIStatusError.Cause] = []
        let name = ObjectMetadata.name(of: object) ?? ""
        let label = type.plural == "namespaces"
        if !ObjectMetadata.isValidName(name, label: label) {
            causes.append(.init(field: "metadata.name", message: ObjectMetadata.nameMessage(name, label: label)))
        }
        if type.plural == "deployments" { causes += deploymentCauses(object) }
        return causes
    }

    private static func deploymentCauses(_ deployment: JSONValue) -> [APIStatusError.Cause] {
        var causes: [APIStatusError.Cause] = []
        if let replicas = deployment[path: "spec", "replicas"]?.integerValue, replicas < 0 {
            causes.append(.init(field: "spec.replicas",
                                message: "Invalid value: \(replicas): must be greater than or equal to 0"))
        }
        let matchLabels = deployment[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        let templateLabels = deployment[path: "spec", "template", "metadata", "labels"]?.objectValue ?? [:]
        if deployment[path: "spec", "selector"] == nil {
            causes.append(.init(reason: "FieldValueRequired", field: "spec.selector", message: "Required value"))
        } else if !matchLabels.allSatisfy({ templateLabels[$0.key] == $0.value }) {
            causes.append(.init(
                field: "spec.template.metadata.labels",
                message: "Invalid value: \(JSONValue.object(templateLabels).serialized): `selector` does not match template `labels`"))
        }
        return causes
    }
}
