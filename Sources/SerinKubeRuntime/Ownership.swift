import SerinCore

/// Whether an existing object is Serin's to change: it must carry the `managed-by: serin` label, belong to this
/// model and, for a revision's objects, to this revision. Anything else with the same name is someone else's (a
/// hand-made Service called like the model, another model whose names collide) and is never modified or deleted.
struct Ownership: Sendable {
    var key: DeploymentKey
    /// Nil for objects that span revisions (the stable Service).
    var revisionDigest: String?

    /// Nil when the object is Serin's; otherwise why it is not, phrased to follow "already exists and".
    func problem(with object: JSONValue) -> String? {
        let labels = object[path: "metadata", "labels"]
        guard ServingLabels.isManaged(object) else {
            return "is not managed by Serin (it has no \(ServingLabels.managedBy)=\(ServingLabels.managedByValue) label)"
        }
        let model = labels?[ServingLabels.model]?.stringValue ?? ""
        guard model == key.name else {
            return "belongs to \(model.isEmpty ? "no model" : "the model \(key.namespace)/\(model)") (label \(ServingLabels.model)), not to \(key)"
        }
        if let revisionDigest, labels?[ServingLabels.revision]?.stringValue != revisionDigest {
            let other = labels?[ServingLabels.revision]?.stringValue ?? "none"
            return "holds another revision of \(key) (label \(ServingLabels.revision)=\(other), expected \(revisionDigest))"
        }
        return nil
    }
}
