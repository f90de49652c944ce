import SerinCore

/// The labels and annotations Serin puts on everything it creates. `managed-by` is the ownership mark: Serin never
/// changes or deletes an object without it. `serin.dev/model` ties an object to its ModelDeployment and
/// `serin.dev/revision` to one revision, so the runtime finds a model's objects from labels alone, after a restart
/// or when the document has left Git. The `app.kubernetes.io/name` and `version` labels are the ones Istio reads for
/// its canonical service and revision, which the `istio` metrics source selects versions by: so `name` is the
/// ModelDeployment's name, as those queries expect, not `spec.model.name`.
public enum ServingLabels {
    public static let managedBy = "app.kubernetes.io/managed-by"
    public static let managedByValue = "serin"
    public static let model = "serin.dev/model"
    public static let revision = "serin.dev/revision"
    public static let name = "app.kubernetes.io/name"
    public static let version = "app.kubernetes.io/version"

    /// The ModelDeployment the revision came from, as YAML: what a `deploy` or `scale` of a revision that is not the
    /// desired one rebuilds its workload from.
    public static let specAnnotation = "serin.dev/spec"
    /// A fingerprint of the fields Serin last wrote. When an object differs from what Serin wants although this
    /// matches, someone else changed it: the change is reverted and reported as drift.
    public static let appliedAnnotation = "serin.dev/applied"

    /// The label selector of everything Serin manages, for informers.
    public static let managedSelector = "\(managedBy)=\(managedByValue)"

    /// Labels of a revision's objects (Deployment, its pods, its Service).
    static func revisionLabels(_ key: DeploymentKey, _ revision: ServingRevision) -> [String: String] {
        [
            Self.managedBy: Self.managedByValue,
            Self.model: key.name,
            Self.revision: revision.digest,
            Self.name: key.name,
            Self.version: labelValue(revision.version),
        ]
    }

    /// Labels of the model's stable Service, which spans revisions and so names none.
    static func modelLabels(_ key: DeploymentKey) -> [String: String] {
        [managedBy: managedByValue, model: key.name, name: key.name]
    }

    /// Pods of a model, whatever the revision: the stable Service's selector, which is what lets replica counts
    /// split traffic when there is no router.
    static func modelSelector(_ key: DeploymentKey) -> [String: String] {
        [managedBy: managedByValue, model: key.name]
    }

    /// Pods of one revision.
    static func revisionSelector(_ key: DeploymentKey, _ revision: ServingRevision) -> [String: String] {
        [Self.managedBy: Self.managedByValue, Self.model: key.name, Self.revision: revision.digest]
    }

    /// A valid label value standing for `text`: versions may contain '+' and other characters a label value does
    /// not accept. Characters outside [A-Za-z0-9-_.] become '_', the result is cut
    /// to 63 characters and trimmed to start and end with a letter or digit.
    static func labelValue(_ text: String) -> String {
        var value = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" }.prefix(63))
        while let last = value.last, !(last.isASCII && (last.isLetter || last.isNumber)) { value.removeLast() }
        while let first = value.first, !(first.isASCII && (first.isLetter || first.isNumber)) { value.removeFirst() }
        return value
    }

    /// Whether an object carries Serin's ownership mark.
    static func isManaged(_ object: JSONValue) -> Bool {
        object[path: "metadata", "labels", managedBy]?.stringValue == managedByValue
    }

    /// The model an owned object belongs to, from its namespace and `serin.dev/model` label.
    static func key(of object: JSONValue) -> DeploymentKey? {
        guard isManaged(object), let name = object[path: "metadata", "labels", model]?.stringValue,
              let namespace = object[path: "metadata", "namespace"]?.stringValue else { return nil }
        return DeploymentKey(namespace: namespace, name: name)
    }
}
