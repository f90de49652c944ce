/// Where a value sits in a document, written the way Kubernetes writes field paths: `spec.rollout.steps[2]`,
/// `metadata.labels["app"]`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case field(String)
        case index(Int)
        case key(String)
    }

    public private(set) var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    public static let root = FieldPath()

    public static func / (path: FieldPath, field: String) -> FieldPath {
        FieldPath(path.components + [.field(field)])
    }

    public subscript(index: Int) -> FieldPath {
        FieldPath(components + [.index(index)])
    }

    public subscript(key key: String) -> FieldPath {
        FieldPath(components + [.key(key)])
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .field(let name): text += text.isEmpty ? name : "." + name
            case .index(let index): text += "[\(index)]"
            case .key(let key): text += "[\"\(key)\"]"
            }
        }
        return text
    }
}
