import Foundation

extension GitSignature {
    /// Reads an identity as Git prints it, `Name <email>`, e.g. `Serin <serin@localhost>`, the form the ledger's
    /// author and committer are configured in. Nil when the text is not of that form, or when the name or email
    /// holds an angle bracket or a line break (Git could not store them).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") else { return nil }
        let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            .trimmingCharacters(in: .whitespaces)
        let forbidden: (Character) -> Bool = { $0 == "<" || $0 == ">" || $0.isNewline }
        guard !name.isEmpty, !email.isEmpty, !name.contains(where: forbidden), !email.contains(where: forbidden) else { return nil }
        self.init(name: name, email: email)
    }

    /// `Name <email>`.
    public var identity: String { "\(name) <\(email)>" }
}
