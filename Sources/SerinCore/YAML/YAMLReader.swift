import CYAML

/// Why a YAML stream could not be read: where, and what was wrong.
public struct YAMLReadError: Error, Sendable, Hashable {
    public var mark: SourceMark
    public var message: String
    public var hint: String?
}

/// What a YAML stream yielded: every document read before the first error, and that error if there was one.
public struct YAMLStream: Sendable, Hashable {
    public var documents: [YAMLDocument]
    public var error: YAMLReadError?
}

/// Reads YAML into node trees with libyaml's event parser, enforcing `YAMLLimits` as events arrive.
///
/// Building the tree from events (rather than composing it first and checking afterwards) is what keeps hostile
/// input cheap: nesting is counted before it can recurse, the expanded size of every anchor is known when an alias
/// refers to it, so an alias bomb is refused after a few hundred events, never expanded. This is the only file that
/// touches libyaml.
public enum YAMLReader {
    public static func read(_ bytes: [UInt8], limits: YAMLLimits = .standard) -> YAMLStream {
        if bytes.count > limits.maxFileBytes {
            return YAMLStream(documents: [], error: YAMLReadError(
                mark: SourceMark(line: 1, column: 1),
                message: ByteCount.oversize(bytes.count, limit: limits.maxFileBytes),
                hint: "split it into several files"))
        }
        if bytes.isEmpty { return YAMLStream(documents: [], error: nil) }

        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return YAMLStream(documents: [], error: YAMLReadError(
                mark: SourceMark(line: 1, column: 1), message: "libyaml could not allocate a parser", hint: nil))
        }
        defer { yaml_parser_delete(&parser) }

        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return YAMLStream(documents: [], error: nil) }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            var builder = TreeBuilder(limits: limits)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    var error = parserError(parser)
                    let offset = Int(parser.problem_mark.index)
                    if offset < buffer.count, buffer[offset] == UInt8(ascii: "\t") {
                        error.hint = "indent YAML with spaces, not tabs"
                    }
                    return YAMLStream(documents: builder.documents, error: error)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                if let error = builder.consume(event) {
                    return YAMLStream(documents: builder.documents, error: error)
                }
            }
            return YAMLStream(documents: builder.documents, error: nil)
        }
    }

    private static func parserError(_ parser: yaml_parser_t) -> YAMLReadError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        var message = "invalid YAML: \(problem)"
        if let context = parser.context.map({ String(cString: $0) }) {
            let mark = SourceMark(parser.context_mark)
            message += " (\(context) at line \(mark.line), column \(mark.column))"
        }
        return YAMLReadError(mark: SourceMark(parser.problem_mark), message: message, hint: nil)
    }
}

extension SourceMark {
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    guard let pointer else { return nil }
    return String(cString: pointer)
}

/// Turns the event stream into trees. Each collection under construction is a frame; `size` counts the nodes the
/// frame holds with aliases expanded, which is what an alias to it costs a reader.
private struct TreeBuilder {
    struct Frame {
        var isMapping: Bool
        var children: [YAMLNode] = []
        var size = 1
        var anchor: String?
        var tag: String?
        var mark: SourceMark
    }

    let limits: YAMLLimits
    var documents: [YAMLDocument] = []
    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var expandedNodes = 0
    private var documentMark = SourceMark(line: 1, column: 1)
    private var root: YAMLNode?

    init(limits: YAMLLimits) { self.limits = limits }

    mutating func consume(_ event: yaml_event_t) -> YAMLReadError? {
        let mark = SourceMark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            if documents.count >= limits.maxDocuments {
                return YAMLReadError(mark: mark, message: "more than \(limits.maxDocuments) documents in one file",
                                     hint: "split the documents over several files")
            }
            anchors = [:]
            root = nil
            documentMark = mark
        case YAML_DOCUMENT_END_EVENT:
            documents.append(YAMLDocument(root: root, mark: documentMark))
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let tag = string(scalar.tag)
            if let error = check(tag: tag, at: mark) { return error }
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let node = YAMLNode(.scalar(text, ScalarStyle(scalar.style)), tag: tag, mark: mark)
            return add(node, size: 1, anchor: string(scalar.anchor), at: mark)
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                return YAMLReadError(mark: mark, message: "alias *\(name) refers to no anchor defined before it",
                                     hint: "define &\(name) earlier in the same document")
            }
            var node = anchored.node
            node.mark = mark
            return add(node, size: anchored.size, anchor: nil, at: mark)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let tag = string(isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag)
            if let error = check(tag: tag, at: mark) { return error }
            if stack.count >= limits.maxDepth {
                return YAMLReadError(mark: mark, message: "nesting deeper than \(limits.maxDepth) levels",
                                     hint: "a ModelDeployment needs far fewer; check the indentation")
            }
            if let error = count(1, at: mark) { return error }
            let anchor = string(isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor)
            stack.append(Frame(isMapping: isMapping, anchor: anchor, tag: tag, mark: mark))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { break }
            let content: YAMLNode.Content
            if frame.isMapping {
                var pairs: [YAMLPair] = []
                pairs.reserveCapacity(frame.children.count / 2)
                var index = 0
                while index + 1 < frame.children.count {
                    pairs.append(YAMLPair(key: frame.children[index], value: frame.children[index + 1]))
                    index += 2
                }
                content = .mapping(pairs)
            } else {
                content = .sequence(frame.children)
            }
            // The frame's own node was counted when it opened.
            return attach(YAMLNode(content, tag: frame.tag, mark: frame.mark), size: frame.size, anchor: frame.anchor)
        default:
            break
        }
        return nil
    }

    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?, at mark: SourceMark) -> YAMLReadError? {
        if let error = count(size, at: mark) { return error }
        return attach(node, size: size, anchor: anchor)
    }

    private mutating func attach(_ node: YAMLNode, size: Int, anchor: String?) -> YAMLReadError? {
        if let anchor { anchors[anchor] = (node, size) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
            stack[stack.count - 1].size += size
        }
        return nil
    }

    private mutating func count(_ nodes: Int, at mark: SourceMark) -> YAMLReadError? {
        expandedNodes += nodes
        guard expandedNodes <= limits.maxExpandedNodes else {
            return YAMLReadError(
                mark: mark,
                message: "the file expands to more than \(limits.maxExpandedNodes) YAML nodes once aliases are resolved",
                hint: "aliases that multiply (a \"billion laughs\" document) are refused; write the values out")
        }
        return nil
    }

    private func check(tag: String?, at mark: SourceMark) -> YAMLReadError? {
        guard let tag, !YAMLTag.core.contains(tag) else { return nil }
        return YAMLReadError(mark: mark, message: "YAML tag \(YAMLTag.shorthand(tag)) is not allowed",
                             hint: "Serin reads plain YAML only: remove the tag")
    }
}

private extension ScalarStyle {
    init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}

/// A byte count as a person reads it: `1 MiB`, `1.5 MiB`, `812 bytes`.
struct ByteCount: CustomStringConvertible {
    var bytes: Int
    init(_ bytes: Int) { self.bytes = bytes }

    var description: String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where bytes >= size {
            let tenths = (bytes * 10 + size / 2) / size
            return tenths % 10 == 0 ? "\(tenths / 10) \(unit)" : "\(tenths / 10).\(tenths % 10) \(unit)"
        }
        return "\(bytes) bytes"
    }

    /// Why a file of `size` bytes is refused under `limit`. Sizes are rounded for reading, except where rounding
    /// would make the size look no larger than the limit ("1 MiB, larger than the 1 MiB limit").
    static func oversize(_ size: Int, limit: Int) -> String {
        let rounded = ByteCount(size).description, limitText = ByteCount(limit).description
        if rounded == limitText, size != limit {
            return "file is \(size) bytes, larger than the \(limitText) (\(limit) bytes) limit"
        }
        return "file is \(rounded), larger than the \(limitText) limit"
    }
}
