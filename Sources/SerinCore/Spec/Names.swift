/// The naming rules Kubernetes enforces, checked before anything reaches a cluster. Each check returns nil when the
/// name is valid, or the expectation it failed, ready to follow "expected" in a diagnostic.
public enum Names {
    public static let dnsLabelRule = "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"
    public static let dnsSubdomainRule = "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)"

    public static func dnsLabelProblem(_ name: String) -> String? {
        isDNSLabel(name) ? nil : dnsLabelRule
    }

    public static func dnsSubdomainProblem(_ name: String) -> String? {
        guard !name.isEmpty, name.count <= 253 else { return dnsSubdomainRule }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel($0) } ? nil : dnsSubdomainRule
    }

    static func isDNSLabel<S: StringProtocol>(_ name: S) -> Bool {
        guard let first = name.first, let last = name.last, name.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
            && first != "-" && last != "-"
    }

    /// A name that would pass: lowercased, runs of other characters turned into '-', trimmed. Nil when nothing is left.
    public static func dnsLabelSuggestion(for name: String) -> String? {
        var result = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        let trimmed = String(result.trimmingDashes.prefix(63)).trimmingDashes
        return trimmed.isEmpty || trimmed == name ? nil : trimmed
    }

    /// Label and annotation keys: an optional DNS subdomain prefix and '/', then a name of at most 63 characters
    /// of alphanumerics, '-', '_' and '.', starting and ending with an alphanumeric.
    public static func qualifiedNameProblem(_ key: String) -> String? {
        let rule = "a key of an optional DNS-1123 subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return rule }
        if parts.count == 2, dnsSubdomainProblem(String(parts[0])) != nil { return rule }
        guard let name = parts.last, isQualifiedNamePart(name) else { return rule }
        return nil
    }

    /// Label values: empty, or at most 63 alphanumerics, '-', '_' and '.', starting and ending with an alphanumeric.
    public static func labelValueProblem(_ value: String) -> String? {
        value.isEmpty || isQualifiedNamePart(Substring(value))
            ? nil : "a label value of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    }

    private static func isQualifiedNamePart(_ name: Substring) -> Bool {
        guard let first = name.first, let last = name.last, name.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            && first.isLetterOrDigit && last.isLetterOrDigit
    }

    /// Model names travel in URL paths (`/v2/models/NAME/infer`) and file names.
    public static func modelNameProblem(_ name: String) -> String? {
        guard let first = name.first, name.count <= 128, first.isLetterOrDigit,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return "a model name of at most 128 letters, digits, '-', '_' or '.', starting with a letter or digit"
        }
        return nil
    }

    /// Versions name workloads and ledger entries, so they must be short and printable.
    public static func versionProblem(_ version: String) -> String? {
        guard let first = version.first, version.count <= 63, first.isLetterOrDigit,
              version.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.+".contains($0)) }) else {
            return "a version of at most 63 letters, digits, '-', '_', '.' or '+', starting with a letter or digit"
        }
        return nil
    }

    /// Environment variable names, as Kubernetes accepts them.
    public static func environmentNameProblem(_ name: String) -> String? {
        guard let first = name.first, !first.isNumber,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return "an environment variable name of letters, digits, '_', '-' or '.', not starting with a digit"
        }
        return nil
    }

    /// Gate names appear in ledger commits and metrics labels.
    public static func gateNameProblem(_ name: String) -> String? {
        guard let first = name.first, name.count <= 63, first.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
            return "a gate name of at most 63 letters, digits, '-' or '_', starting with a letter"
        }
        return nil
    }

    /// An OCI image reference: `[REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST]`, repository in lowercase.
    public static func imageReferenceProblem(_ image: String) -> String? {
        let rule = "an image reference such as registry.example.com/team/model-server:1.2 (lowercase repository, optional :tag and @sha256:digest)"
        var rest = Substring(image)
        if let at = rest.firstIndex(of: "@") {
            guard ArtifactDigest(parsing: String(rest[rest.index(after: at)...])) != nil else { return rule }
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        let nameStart = lastSlash.map { rest.index(after: $0) } ?? rest.startIndex
        if let colon = rest[nameStart...].firstIndex(of: ":") {
            let tag = rest[rest.index(after: colon)...]
            guard let first = tag.first, tag.count <= 128, first.isLetterOrDigit || first == "_",
                  tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return rule }
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty else { return rule }
        if components.count > 1, components[0].contains(where: { $0 == "." || $0 == ":" }) || components[0] == "localhost" {
            let registry = components.removeFirst()
            guard !registry.isEmpty, registry.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:".contains($0)) })
            else { return rule }
        }
        for component in components {
            guard let first = component.first, let last = component.last, first.isLetterOrDigit, last.isLetterOrDigit,
                  component.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "-_.".contains($0)) })
            else { return rule }
        }
        return nil
    }

    /// An absolute URL path for probes and metrics.
    public static func httpPathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/"), !path.contains(where: { $0.isWhitespace || $0 == "#" }) else {
            return "an absolute URL path starting with '/', without spaces"
        }
        return nil
    }
}

extension Character {
    var isLetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}

extension String {
    var trimmingDashes: String {
        String(drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed())
    }
}
