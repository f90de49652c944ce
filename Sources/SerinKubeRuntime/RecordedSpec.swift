import SerinCore

/// The ModelDeployment a revision was created from, kept in the `serin.dev/spec` annotation of its Deployment and
/// Service. The rollout machine asks to deploy or scale revisions that are no longer desired (the stable version
/// while a canary rolls out, or after a restart); their pod template is rebuilt from here, never from the desired
/// document, which describes another revision.
enum RecordedSpec {
    /// The YAML written into the annotation: the document with its defaults spelt out, as `--show-defaults` prints.
    static func text(of deployment: ModelDeployment) -> String {
        YAMLWriter.write(deployment.yamlValue)
    }

    /// The document recorded on `object`, when there is one that decodes to `revision` (anything else, such as an
    /// annotation edited by hand, is not trusted).
    static func deployment(in object: JSONValue?, revision: ServingRevision) -> ModelDeployment? {
        guard let text = object?[path: "metadata", "annotations", ServingLabels.specAnnotation]?.stringValue,
              let deployment = decode(text), deployment.revision.digest == revision.digest else { return nil }
        return deployment
    }

    /// The document recorded on `object`, whatever its revision: where the traffic settings of a model being removed
    /// (no desired document any more) are found.
    static func anyDeployment(in object: JSONValue?) -> ModelDeployment? {
        object?[path: "metadata", "annotations", ServingLabels.specAnnotation]?.stringValue.flatMap(decode)
    }

    private static func decode(_ text: String) -> ModelDeployment? {
        let decoded = DesiredState.decodeFile(SourceFile(path: ServingLabels.specAnnotation, text: text))
        guard decoded.diagnostics.allSatisfy({ $0.severity != .error }) else { return nil }
        return decoded.entries.first?.deployment
    }
}
