/// Problems of the target revision that concern one model, or one file when the file does not define exactly one
/// model (several documents, or none that could be read): how a pull-request comment lists them.
public struct PlanProblemGroup: Sendable, Hashable {
    public enum Subject: Sendable, Hashable, CustomStringConvertible {
        case model(DeploymentKey)
        case file(String)

        public var description: String {
            switch self {
            case .model(let key): key.description
            case .file(let path): path
            }
        }
    }

    public var subject: Subject
    /// In file and position order.
    public var diagnostics: [Diagnostic]

    public init(subject: Subject, diagnostics: [Diagnostic]) {
        self.subject = subject
        self.diagnostics = diagnostics
    }

    /// Groups `decoding`'s diagnostics in the order their first problem appears.
    static func groups(of decoding: DesiredStateDecoding) -> [PlanProblemGroup] {
        var groups: [PlanProblemGroup] = []
        for diagnostic in decoding.diagnostics {
            let subject = subject(of: diagnostic, in: decoding)
            if let index = groups.firstIndex(where: { $0.subject == subject }) {
                groups[index].diagnostics.append(diagnostic)
            } else {
                groups.append(PlanProblemGroup(subject: subject, diagnostics: [diagnostic]))
            }
        }
        return groups
    }

    static func subject(of diagnostic: Diagnostic, in decoding: DesiredStateDecoding) -> Subject {
        guard let keys = decoding.modelKeysByFile[diagnostic.file], keys.count == 1, let only = keys.first, let key = only
        else { return .file(diagnostic.file) }
        return .model(key)
    }
}
