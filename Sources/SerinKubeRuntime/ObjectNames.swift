import SerinCore

/// The names of a model's Kubernetes objects. A revision's Deployment and Service are `<name>-<version>-<digest8>`:
/// the version makes `kubectl get` readable, and the short digest is always there because two revisions can share a
/// version (a new image for the same model version) and because a name that depended on which other revisions exist
/// would change with history. Every name stays a DNS-1123 label of at most 63 characters.
public enum ObjectNames {
    /// The Service clients call, across revisions.
    public static func stableService(_ key: DeploymentKey) -> String { key.name }

    /// The Deployment and the Service of one revision, e.g. `iris-v2-1a2b3c4d`.
    public static func revision(_ key: DeploymentKey, _ revision: ServingRevision) -> String {
        let version = slug(revision.version)
        // "-" and the 8-digit digest take 9 of the 63 characters. A long version is cut first; the model name gives
        // up characters to it only down to 30, so both stay recognisable.
        let budget = 63 - 1 - revision.shortDigest.count
        let name = trimmed(String(key.name.prefix(max(budget - 1 - version.count, 30))))
        let versionPart = trimmed(String(version.prefix(max(0, budget - name.count - 1))))
        return [name, versionPart, revision.shortDigest].filter { !$0.isEmpty }.joined(separator: "-")
    }

    /// A DNS-1123 label from a version: lowercase, runs of other characters turned into one '-', trimmed.
    static func slug(_ text: String) -> String {
        var result = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                result.append(character)
            } else if !result.isEmpty && !result.hasSuffix("-") {
                result.append("-")
            }
        }
        return trimmed(result)
    }

    private static func trimmed(_ text: String) -> String {
        var text = text
        while text.hasSuffix("-") { text.removeLast() }
        while text.hasPrefix("-") { text.removeFirst() }
        return text
    }
}
