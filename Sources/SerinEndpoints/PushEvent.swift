import SerinCore

/// A push, as far as Serin cares: which ref moved, to which commit, in which repository. The commit and the
/// repository are only logged: the sync reads the branch from Git itself and never trusts a payload's commit.
public struct PushEvent: Sendable, Hashable {
    /// `refs/heads/main`; generic senders may give the bare branch name.
    public var ref: String?
    /// The commit the ref points to after the push.
    public var after: String?
    /// `owner/name` (GitHub's `repository.full_name`, GitLab's `project.path_with_namespace`).
    public var repository: String?

    public init(ref: String? = nil, after: String? = nil, repository: String? = nil) {
        self.ref = ref
        self.after = after
        self.repository = repository
    }

    /// Why a body is not a push payload.
    public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        case notJSON(JSONParseError)
        case notAnObject
        case fieldNotAString(String)

        public var description: String {
            switch self {
            case .notJSON(let error): "the body is not JSON (\(error)); send application/json"
            case .notAnObject: "the body is JSON but not an object"
            case .fieldNotAString(let field): "\"\(field)\" in the body is not a string"
            }
        }
    }

    /// Whether the push moved `branch`: `ref` is `refs/heads/<branch>`, or the bare name as a generic sender may
    /// give it. Tags (`refs/tags/<branch>`) never match.
    public func moves(branch: String) -> Bool {
        ref == "refs/heads/\(branch)" || ref == branch
    }

    /// The branch name when `ref` names one, for messages.
    public var branch: String? {
        guard let ref else { return nil }
        if ref.hasPrefix("refs/heads/") { return String(ref.dropFirst("refs/heads/".count)) }
        return ref.hasPrefix("refs/") ? nil : ref
    }

    /// Reads a JSON push payload. GitHub's and GitLab's share `ref` and `after`; every field is optional, since a
    /// generic sender may send only `{"ref": "main"}`, or `{}`.
    public static func parse(json body: [UInt8]) throws(ParseError) -> PushEvent {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body)
        } catch {
            throw .notJSON(error)
        }
        guard case .object = document else { throw .notAnObject }
        return PushEvent(
            ref: try string(document["ref"], field: "ref"),
            after: try string(document["after"] ?? document["checkout_sha"], field: "after"),
            repository: try string(document[path: "repository", "full_name"] ?? document[path: "project", "path_with_namespace"],
                                   field: "repository"))
    }

    private static func string(_ value: JSONValue?, field: String) throws(ParseError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .fieldNotAString(field)
        }
    }
}
