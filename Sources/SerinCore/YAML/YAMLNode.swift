/// A position in a source text, 1-based, as editors show it.
public struct SourceMark: Sendable, Hashable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceMark, rhs: SourceMark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// How a scalar was written. The spec decoder needs it: a quoted `"3"` is a string, a plain `3` is a number.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isQuoted: Bool { self != .plain }
}

/// One node of a parsed YAML document, with the place it was written.
///
/// Aliases are already resolved: an alias is a copy of its anchor's node (copies share storage), carrying the
/// alias's own mark so errors point at the place the user wrote.
public struct YAMLNode: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    /// The explicit tag in its full form (`tag:yaml.org,2002:str`), or nil when the node had none.
    public var tag: String?
    public var mark: SourceMark

    public init(_ content: Content, tag: String? = nil, mark: SourceMark) {
        self.content = content
        self.tag = tag
        self.mark = mark
    }

    /// True for `~`, `null`, an empty value, or `!!null`, the ways YAML spells "no value".
    public var isNull: Bool {
        guard case .scalar(let text, let style) = content else { return false }
        if tag == YAMLTag.null { return true }
        guard tag == nil, style == .plain else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// The scalar's text, or nil for a sequence or mapping.
    public var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True when the scalar must be read as a string whatever it looks like: quoted, a block scalar, or tagged `!!str`.
    public var isExplicitString: Bool {
        guard case .scalar(_, let style) = content else { return false }
        return style.isQuoted || tag == YAMLTag.string
    }
}

public struct YAMLPair: Sendable, Hashable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// The tags of YAML's core schema, the only ones Serin accepts.
public enum YAMLTag {
    public static let prefix = "tag:yaml.org,2002:"
    public static let string = prefix + "str"
    public static let null = prefix + "null"
    public static let core: Set<String> = Set(["str", "int", "float", "bool", "null", "seq", "map"].map { prefix + $0 })

    /// The tag as a user would have typed it: `!!binary` rather than `tag:yaml.org,2002:binary`.
    public static func shorthand(_ tag: String) -> String {
        tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable, Hashable {
    /// Nil when the document is empty (a lone `---`, or only comments).
    public var root: YAMLNode?
    public var mark: SourceMark
}
