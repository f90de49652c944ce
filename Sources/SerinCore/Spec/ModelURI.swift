/// Where a model's artifact is stored. The scheme decides who fetches it: object stores, the Hugging Face hub,
/// a PersistentVolumeClaim, a local path, or plain HTTPS.
public struct ModelURI: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        case s3, gs, https, file, hf, pvc
    }

    public var scheme: Scheme
    public var text: String

    public var description: String { text }

    /// The path a `file://` URI names on the machine that reads it, percent-decoded; nil for other schemes.
    public var filePath: String? {
        guard scheme == .file else { return nil }
        var bytes: [UInt8] = []
        var rest = Array(text.utf8.dropFirst("file://".count))[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "%"), rest.count >= 2, rest.prefix(2).allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
               let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What was wrong with a URI, phrased as the expectation it failed.
    public struct Problem: Error, Sendable, Hashable {
        public var expected: String
        public var hint: String?
    }

    public static func parse(_ text: String) -> Result<ModelURI, Problem> {
        let schemes = Scheme.allCases.map { "\($0.rawValue)://" }.joined(separator: ", ")
        guard let separator = text.firstRange(of: "://") else {
            let hint = text.hasPrefix("/") ? "did you mean \"file://\(text)\"?" : nil
            return .failure(Problem(expected: "a URI starting with one of \(schemes)", hint: hint))
        }
        let schemeText = String(text[..<separator.lowerBound])
        let rest = String(text[separator.upperBound...])
        guard let scheme = Scheme(rawValue: schemeText) else {
            let hint = schemeText == "http" ? "models are fetched over https only" : nil
            return .failure(Problem(expected: "a URI starting with one of \(schemes)", hint: hint))
        }
        if !text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) {
            return .failure(Problem(expected: "a URI of printable ASCII characters, without spaces",
                                    hint: "percent-encode spaces and other characters"))
        }
        let authority = rest.prefix { $0 != "/" }
        switch scheme {
        case .s3, .gs:
            guard isBucketName(authority) else {
                return .failure(Problem(expected: "\(scheme)://BUCKET/PATH with a bucket name of 3 to 63 lowercase letters, digits, '.' and '-'"))
            }
        case .https:
            guard !authority.isEmpty, !authority.contains("@") else {
                return .failure(Problem(expected: "https://HOST/PATH without credentials in the URI",
                                        hint: authority.contains("@") ? "give credentials to the runtime, not in Git" : nil))
            }
        case .file:
            guard rest.hasPrefix("/"), rest.count > 1 else {
                return .failure(Problem(expected: "file:///ABSOLUTE/PATH (three slashes, then an absolute path)"))
            }
        case .hf:
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
                return .failure(Problem(expected: "hf://OWNER/MODEL"))
            }
        case .pvc:
            guard Names.dnsSubdomainProblem(String(authority)) == nil, rest.count > authority.count + 1 else {
                return .failure(Problem(expected: "pvc://CLAIM/PATH with the claim's name as a DNS-1123 subdomain"))
            }
        }
        return .success(ModelURI(scheme: scheme, text: text))
    }

    private static func isBucketName(_ name: Substring) -> Bool {
        (3...63).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
            && name.first.map { $0.isLetter || $0.isNumber } == true
            && name.last.map { $0.isLetter || $0.isNumber } == true
    }
}

/// A content digest pinning a model artifact: `sha256:` and 64 lowercase hexadecimal digits.
public struct ArtifactDigest: Sendable, Hashable, CustomStringConvertible {
    public var hex: String

    public init?(parsing text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = text.dropFirst("sha256:".count)
        guard hex.count == 64, hex.allSatisfy({ $0.isASCII && $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.hex = String(hex)
    }

    public var description: String { "sha256:\(hex)" }
}
