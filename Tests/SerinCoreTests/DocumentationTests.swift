import Foundation
import SerinCore
import Testing

/// Keeps docs/ honest: the ModelDeployment reference lists exactly the fields the decoder accepts, with the defaults
/// `serin validate --show-defaults` prints; every message quoted in the troubleshooting page is one Serin's sources
/// can print; and links between the pages resolve.
@Suite("The documentation matches the code")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    // MARK: - The ModelDeployment reference

    /// A row of docs/modeldeployment.md's field tables: `| `spec.rollout.interval` | type | default | rules |`.
    struct ReferenceRow {
        var path: String
        var defaultCell: String
    }

    static func referenceRows() throws -> [ReferenceRow] {
        let text = try read("docs/modeldeployment.md")
        var rows: [ReferenceRow] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 3, let path = singleCodeSpan(cells[0]),
                  ["apiVersion", "kind", "metadata", "spec"].contains(where: { path == $0 || path.hasPrefix($0 + ".") })
            else { continue }
            rows.append(ReferenceRow(path: path, defaultCell: cells[2]))
        }
        return rows
    }

    /// The text of a cell that is exactly one code span, else nil.
    static func singleCodeSpan(_ cell: String) -> String? {
        guard cell.count >= 2, cell.hasPrefix("`"), cell.hasSuffix("`") else { return nil }
        let inner = cell.dropFirst().dropLast()
        return inner.contains("`") ? nil : String(inner)
    }

    /// Documents that put an unknown field `zzProbe` into one mapping each, by the mapping's path. The decoder's
    /// answer ("unknown field "zzProbe", expected one of a, b, c") is the list of fields it accepts there.
    static let probes: [String: String] = {
        func document(metadata: String = "  name: iris\n", spec: String = "", top: String = "") -> String {
            """
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            \(top)metadata:
            \(metadata)spec:
              model: {version: "1", uri: s3://models/iris/1}
              runtime: {image: seldonio/mlserver:1.7.1}
            \(spec)
            """
        }
        func rollout(_ text: String) -> String { document(spec: "  rollout:\n" + text) }
        return [
            "": document(top: "zzProbe: 1\n"),
            "metadata": document(metadata: "  name: iris\n  zzProbe: 1\n"),
            "spec": document(spec: "  zzProbe: 1\n"),
            "spec.model": document(spec: "  model: {version: \"1\", uri: s3://models/iris/1, zzProbe: 1}\n")
                .replacingOccurrences(of: "  model: {version: \"1\", uri: s3://models/iris/1}\n", with: ""),
            "spec.runtime": document(spec: "  runtime: {image: seldonio/mlserver:1.7.1, zzProbe: 1}\n")
                .replacingOccurrences(of: "  runtime: {image: seldonio/mlserver:1.7.1}\n", with: ""),
            "spec.runtime.env[]": document(spec: "  runtime: {image: seldonio/mlserver:1.7.1, env: [{name: A, value: b, zzProbe: 1}]}\n")
                .replacingOccurrences(of: "  runtime: {image: seldonio/mlserver:1.7.1}\n", with: ""),
            "spec.runtime.resources": document(spec: "  runtime: {image: seldonio/mlserver:1.7.1, resources: {cpu: 1, zzProbe: 1}}\n")
                .replacingOccurrences(of: "  runtime: {image: seldonio/mlserver:1.7.1}\n", with: ""),
            "spec.runtime.resources.limits": document(spec: "  runtime: {image: seldonio/mlserver:1.7.1, resources: {limits: {cpu: 1, zzProbe: 1}}}\n")
                .replacingOccurrences(of: "  runtime: {image: seldonio/mlserver:1.7.1}\n", with: ""),
            "spec.traffic": document(spec: "  traffic: {zzProbe: 1}\n"),
            "spec.traffic.gatewayAPI": document(spec: "  traffic: {provider: gateway-api, gatewayAPI: {route: iris, zzProbe: 1}}\n"),
            "spec.traffic.istio": document(spec: "  traffic: {provider: istio, istio: {virtualService: iris, zzProbe: 1}}\n"),
            "spec.rollout": rollout("    zzProbe: 1\n"),
            "spec.rollout.metrics": rollout("    metrics: {source: serin, zzProbe: 1}\n"),
            "spec.rollout.approval": rollout("    approval: {before: 100, zzProbe: 1}\n"),
            "spec.rollout.gates[]": rollout("    gates: [{successRate: {min: 0.9}, zzProbe: 1}]\n"),
            "spec.rollout.gates[].successRate": rollout("    gates: [{successRate: {min: 0.9, zzProbe: 1}}]\n"),
            "spec.rollout.gates[].latency": rollout("    gates: [{latency: {max: 1s, zzProbe: 1}}]\n"),
            "spec.rollout.gates[].prometheus": rollout("    gates: [{prometheus: {query: up, min: 1, zzProbe: 1}}]\n"),
            "spec.rollout.gates[].webhook": rollout("    gates: [{webhook: {url: \"http://smoke/run\", zzProbe: 1}}]\n"),
            "spec.rollout.gates[].webhook.secret": rollout("    gates: [{webhook: {url: \"http://smoke/run\", secret: {env: KEY, zzProbe: 1}}}]\n"),
        ]
    }()

    /// Every field path the decoder accepts, asked of the decoder itself, one mapping at a time.
    static func decoderFieldPaths() throws -> Set<String> {
        var paths: Set<String> = []
        for (object, yaml) in probes {
            let errors = DesiredState.decode([SourceFile(path: "probe.yaml", text: yaml)]).errors
            let unknown = errors.filter { $0.message.hasPrefix("unknown field \"zzProbe\", expected one of ") }
            #expect(unknown.count == 1 && errors.count == 1,
                    "the probe of \(object.isEmpty ? "the top level" : object) should fail on zzProbe alone: \(errors.map(\.description))")
            guard let message = unknown.first?.message else { continue }
            let fields = message.dropFirst("unknown field \"zzProbe\", expected one of ".count).components(separatedBy: ", ")
            for field in fields { paths.insert(object.isEmpty ? field : "\(object).\(field)") }
        }
        return paths
    }

    @Test func theReferenceListsEveryFieldTheDecoderAcceptsAndNoOther() throws {
        let rows = try Self.referenceRows()
        let documented = rows.map(\.path)
        #expect(Set(documented).count == documented.count, "a field is documented twice")
        let accepted = try Self.decoderFieldPaths()
        let missing = accepted.subtracting(documented).sorted()
        let extra = Set(documented).subtracting(accepted).sorted()
        #expect(missing.isEmpty, "docs/modeldeployment.md does not document \(missing)")
        #expect(extra.isEmpty, "docs/modeldeployment.md documents fields the decoder refuses: \(extra)")
        // A field with fields of its own needs a probe, so that a field added inside it is noticed.
        let parents = Set(documented.compactMap { path in documented.contains { $0.hasPrefix(path + ".") } ? path : nil })
        let unprobed = parents.subtracting(Self.probes.keys).sorted()
        #expect(unprobed.isEmpty, "add a probe for \(unprobed) to DocumentationTests.probes")
    }

    /// The CRD's schema (manifests/crd) is the other description of the same fields; it leaves ObjectMeta's fields to
    /// the API server, so only metadata.name is in it.
    @Test func theReferenceAndTheCRDSchemaNameTheSameFields() throws {
        let crdText = try Self.read("manifests/crd/serin.dev_modeldeployments.yaml")
        let stream = YAMLReader.read(Array(crdText.utf8))
        let crd = try #require(stream.documents.first?.root)
        let schema = try #require(Self.node(crd, at: ["spec", "versions"]).flatMap(Self.firstItem)
            .flatMap { Self.node($0, at: ["schema", "openAPIV3Schema"]) })
        var paths: Set<String> = []
        Self.collectProperties(schema, prefix: "", into: &paths)
        let objectMeta: Set<String> = ["metadata.namespace", "metadata.labels", "metadata.annotations"]
        let documented = Set(try Self.referenceRows().map(\.path)).subtracting(objectMeta)
        let referenceOnly = documented.subtracting(paths).sorted()
        let schemaOnly = paths.subtracting(documented).sorted()
        #expect(referenceOnly.isEmpty, "in docs/modeldeployment.md, not in the CRD's schema: \(referenceOnly)")
        #expect(schemaOnly.isEmpty, "in the CRD's schema, not in docs/modeldeployment.md: \(schemaOnly)")
    }

    static func node(_ node: YAMLNode, at keys: [String]) -> YAMLNode? {
        var current = node
        for key in keys {
            guard case .mapping(let pairs) = current.content,
                  let value = pairs.first(where: { $0.key.scalarText == key })?.value else { return nil }
            current = value
        }
        return current
    }

    static func firstItem(_ node: YAMLNode) -> YAMLNode? {
        guard case .sequence(let items) = node.content else { return nil }
        return items.first
    }

    static func collectProperties(_ schema: YAMLNode, prefix: String, into paths: inout Set<String>) {
        if let properties = node(schema, at: ["properties"]), case .mapping(let pairs) = properties.content {
            for pair in pairs {
                guard let name = pair.key.scalarText else { continue }
                let path = prefix.isEmpty ? name : "\(prefix).\(name)"
                paths.insert(path)
                collectProperties(pair.value, prefix: path, into: &paths)
            }
        }
        if let items = node(schema, at: ["items"]), node(items, at: ["properties"]) != nil {
            collectProperties(items, prefix: prefix + "[]", into: &paths)
        }
    }

    /// What `serin validate --show-defaults` prints for a document that leaves every optional field out (it renders
    /// with the same `YAMLWriter.write(deployment.yamlValue)`), with one gate of each kind that has defaults.
    static let defaultsProbe = """
    apiVersion: serin.dev/v1alpha1
    kind: ModelDeployment
    metadata:
      name: iris
    spec:
      model:
        version: "1"
        uri: s3://models/iris/1
      runtime:
        image: seldonio/mlserver:1.7.1
      rollout:
        gates:
          - latency: {max: 250ms}
          - webhook: {url: "http://smoke/run"}
    """

    static func shownDefaults() throws -> YAMLNode {
        let decoding = DesiredState.decode([SourceFile(path: "defaults.yaml", text: defaultsProbe)])
        let deployment = try #require(decoding.state.deployments.first, "\(decoding.diagnostics)")
        let shown = YAMLWriter.write(deployment.yamlValue)
        return try #require(YAMLReader.read(Array(shown.utf8)).documents.first?.root)
    }

    /// The value at a reference path (`spec.rollout.gates[].latency.quantile`: the first gate with a latency check).
    static func value(_ root: YAMLNode, at path: String) -> YAMLNode? {
        var current = root
        for component in path.split(separator: ".").map(String.init) {
            if case .sequence(let items) = current.content {
                guard let item = items.first(where: { node($0, at: [component]) != nil }) else { return nil }
                current = item
            }
            let key = component.hasSuffix("[]") ? String(component.dropLast(2)) : component
            guard let next = node(current, at: [key]) else { return nil }
            current = next
        }
        return current
    }

    /// A value as the reference writes a default: a scalar as is, a list as `[a, b]`.
    static func rendered(_ node: YAMLNode) -> String? {
        switch node.content {
        case .scalar(let text, _): return text
        case .sequence(let items):
            let values = items.compactMap(rendered)
            return values.count == items.count ? "[" + values.joined(separator: ", ") + "]" : nil
        case .mapping(let pairs): return pairs.isEmpty ? "{}" : nil
        }
    }

    @Test func theDefaultsInTheReferenceAreTheDefaultsSerinShows() throws {
        let shown = try Self.shownDefaults()
        let rows = try Self.referenceRows()
        var checked = 0
        for row in rows {
            guard let documented = Self.singleCodeSpan(row.defaultCell) else { continue }
            let found = Self.value(shown, at: row.path).flatMap(Self.rendered)
            #expect(found == documented, "\(row.path): the reference says the default is \(documented), --show-defaults prints \(found ?? "nothing")")
            checked += 1
        }
        #expect(checked >= 15, "only \(checked) defaults found in the reference's Default column")

        // Every value --show-defaults fills in for an omitted field has a default in the reference.
        let input = try #require(YAMLReader.read(Array(Self.defaultsProbe.utf8)).documents.first?.root)
        for row in rows {
            guard let node = Self.value(shown, at: row.path), Self.value(input, at: row.path) == nil else { continue }
            if case .mapping = node.content { continue }
            let cell = row.defaultCell
            #expect(!cell.isEmpty && cell != "—" && cell.lowercased() != "required",
                    "\(row.path): --show-defaults fills in \(Self.rendered(node) ?? "a value"), but the reference gives no default")
        }
    }

    // MARK: - Troubleshooting messages

    /// The messages docs/troubleshooting.md is keyed by: each entry's heading, `### `message``, with `…` where
    /// Serin fills in a value.
    static func troubleshootingMessages() throws -> [String] {
        try read("docs/troubleshooting.md").split(separator: "\n").compactMap { line in
            guard line.hasPrefix("### `"), line.hasSuffix("`") else { return nil }
            return String(line.dropFirst(5).dropLast())
        }
    }

    @Test func everyTroubleshootingMessageIsOneSerinPrints() throws {
        let messages = try Self.troubleshootingMessages()
        #expect(messages.count >= 25, "found \(messages.count) entries")
        #expect(Set(messages).count == messages.count, "an entry is listed twice")
        let templates = try Self.sourceTemplates()
        #expect(templates.count > 500, "the source scan found only \(templates.count) string literals")
        let matcher = TemplateMatcher(templates: templates)
        for message in messages {
            let longestText = message.components(separatedBy: "…").map(\.count).max() ?? 0
            #expect(longestText >= 8, "\"\(message)\" is too vague to identify one message")
            let printed = matcher.matches(message)
            #expect(printed, "no string literal in Sources/ prints \"\(message)\": update docs/troubleshooting.md")
        }
    }

    /// The scanner and matcher on known cases, so the test above cannot pass by matching everything.
    @Test func theMessageMatcherTellsPrintedMessagesFromOthers() throws {
        let templates = SwiftStringLiterals.templates(in: #"""
        let a = "unknown field \"\(key)\", expected one of \(fields.joined(separator: ", "))"
        let b = "found \(Self.describe(node)), expected \(expected)"
        let c = "a step above the previous one (\(previous))"
        let d = "\(kind) \(namespace)/\(name) already exists and \(owner); Serin never changes. "
            + "Delete or rename that \(kind)"
        let e = "is not managed by Serin (it has no \(label)=\(value) label)"
        let f = """
            multi \
            line \(x ? "yes" : "no")
            """
        let g = "\(a) \(b) \(c)"
        let h = "unknown"
        """#)
        let matcher = TemplateMatcher(templates: templates)
        #expect(matcher.matches("unknown field \"…\", expected one of …"))
        #expect(matcher.matches("unknown field \"…\""))
        #expect(matcher.matches("found …, expected a step above the previous one (…)"))
        #expect(matcher.matches("… …/… already exists and is not managed by Serin (it has no …=… label); Serin never changes. Delete or rename that …"))
        #expect(matcher.matches("… …/… already exists and is not managed by Serin …"))
        #expect(matcher.matches("multi line …"))
        #expect(!matcher.matches("multi lines …"))
        #expect(!matcher.matches("unknown fields \"…\""))
        #expect(!matcher.matches("found …, expected a step below the previous one (…)"))
        #expect(!matcher.matches("… …/… already exists and is not owned by Serin"))
        #expect(!matcher.matches("unknown words here"), "a template of interpolations alone matches nothing")
    }

    static func sourceTemplates() throws -> [[TemplatePart]] {
        let sources = root.appendingPathComponent("Sources")
        guard let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        var templates: [[TemplatePart]] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            templates += SwiftStringLiterals.templates(in: try String(contentsOf: url, encoding: .utf8))
        }
        return templates
    }

    // MARK: - Links

    @Test func relativeLinksBetweenPagesResolve() throws {
        var pages = ["README.md"]
        let docs = Self.root.appendingPathComponent("docs")
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path) where name.hasSuffix(".md") {
            pages.append("docs/" + name)
        }
        #expect(pages.count >= 11)
        let link = /\]\(([^)\s]+)\)/
        var checked = 0
        for page in pages {
            let text = try Self.read(page)
            let directory = (page as NSString).deletingLastPathComponent
            for match in Self.outsideCodeBlocks(text).matches(of: link) {
                let target = String(match.output.1)
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let file = parts[0].isEmpty ? page : Self.normalize(directory.isEmpty ? parts[0] : directory + "/" + parts[0])
                let url = Self.root.appendingPathComponent(file)
                #expect(FileManager.default.fileExists(atPath: url.path), "\(page): \(target) does not exist")
                if parts.count == 2, file.hasSuffix(".md"), let linked = try? Self.read(file) {
                    #expect(Self.anchors(in: linked).contains(parts[1]), "\(page): \(target) has no heading #\(parts[1])")
                }
                checked += 1
            }
        }
        #expect(checked >= 30)
    }

    static func outsideCodeBlocks(_ text: String) -> String {
        var inside = false
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            if line.hasPrefix("```") { inside.toggle(); return false }
            return !inside
        }.joined(separator: "\n")
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == ".." { _ = parts.popLast() } else if part != "." { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }

    /// GitHub's heading anchors: lowercase, punctuation dropped except '-' and '_', spaces to '-', repeats numbered.
    static func anchors(in markdown: String) -> Set<String> {
        var seen: [String: Int] = [:]
        var result: Set<String> = []
        for line in outsideCodeBlocks(markdown).split(separator: "\n") where line.hasPrefix("#") {
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            var slug = ""
            for character in title.lowercased() {
                if character.isLetter || character.isNumber || character == "-" || character == "_" {
                    slug.append(character)
                } else if character == " " {
                    slug.append("-")
                }
            }
            let count = seen[slug, default: 0]
            result.insert(count == 0 ? slug : "\(slug)-\(count)")
            seen[slug] = count + 1
        }
        return result
    }
}

/// A piece of a string literal: text as written, or an interpolation.
enum TemplatePart: Equatable {
    case text(String)
    case hole
}

/// The string literals of Swift source, as templates. Literals joined by `+` are one template; comments are skipped.
/// Enough of Swift's lexical rules for Serin's sources: escapes, interpolations (with nested literals), multi-line and
/// raw strings.
struct SwiftStringLiterals {
    var characters: [Character]
    var index = 0

    static func templates(in source: String) -> [[TemplatePart]] {
        var lexer = SwiftStringLiterals(characters: Array(source))
        var result: [[TemplatePart]] = []
        var pending: [TemplatePart]?
        while lexer.index < lexer.characters.count {
            if let literal = lexer.literalHere() {
                pending = (pending ?? []) + literal
                // `"a" + "b"`: the next literal continues this one.
                let mark = lexer.index
                lexer.skipSpace()
                if lexer.peek() == "+" {
                    lexer.index += 1
                    lexer.skipSpace()
                    if lexer.peek() == "\"" || (lexer.peek() == "#" && lexer.peek(1) == "\"") { continue }
                }
                lexer.index = mark
                result.append(merged(pending!))
                pending = nil
            } else if lexer.startsWith("//") {
                while lexer.index < lexer.characters.count, lexer.characters[lexer.index] != "\n" { lexer.index += 1 }
            } else if lexer.startsWith("/*") {
                lexer.index += 2
                while lexer.index < lexer.characters.count, !lexer.startsWith("*/") { lexer.index += 1 }
                lexer.index += 2
            } else {
                lexer.index += 1
            }
        }
        return result
    }

    static func merged(_ parts: [TemplatePart]) -> [TemplatePart] {
        var result: [TemplatePart] = []
        for part in parts {
            if case .text(let next) = part, case .text(let previous)? = result.last {
                result[result.count - 1] = .text(previous + next)
            } else if case .text(let text) = part, text.isEmpty {
                continue
            } else {
                result.append(part)
            }
        }
        return result
    }

    func peek(_ offset: Int = 0) -> Character? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    func startsWith(_ text: String) -> Bool {
        var offset = 0
        for character in text {
            guard peek(offset) == character else { return false }
            offset += 1
        }
        return true
    }

    mutating func skipSpace() {
        while let character = peek(), character.isWhitespace { index += 1 }
    }

    /// A literal starting at the current position, read past its end; nil (and nothing read) if none starts here.
    mutating func literalHere() -> [TemplatePart]? {
        var hashes = 0
        while peek(hashes) == "#" { hashes += 1 }
        guard peek(hashes) == "\"" else { return nil }
        index += hashes
        let multiline = startsWith("\"\"\"")
        index += multiline ? 3 : 1
        if multiline {
            // The text starts on the line after the opening delimiter.
            while let next = peek(), next != "\n" { index += 1 }
            index += 1
            while let next = peek(), next == " " || next == "\t" { index += 1 }
        }
        let closing = (multiline ? "\"\"\"" : "\"") + String(repeating: "#", count: hashes)
        let escape = "\\" + String(repeating: "#", count: hashes)
        var parts: [TemplatePart] = []
        var text = ""
        while index < characters.count, !startsWith(closing) {
            if startsWith(escape) {
                index += escape.count
                guard let character = peek() else { break }
                index += 1
                switch character {
                case "(":
                    if !text.isEmpty { parts.append(.text(text)); text = "" }
                    parts.append(.hole)
                    skipInterpolation()
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "0": text.append("\0")
                case "u":
                    // \u{XXXX}
                    var digits = ""
                    if peek() == "{" { index += 1 }
                    while let digit = peek(), digit != "}" { digits.append(digit); index += 1 }
                    index += 1
                    if let value = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(value) { text.append(Character(scalar)) }
                case "\n":
                    // A line continuation in a multi-line literal: the next line's indentation is not text.
                    while let next = peek(), next == " " || next == "\t" { index += 1 }
                default: text.append(character)
                }
            } else {
                let character = characters[index]
                index += 1
                if multiline, character == "\n" {
                    text.append("\n")
                    while let next = peek(), next == " " || next == "\t" { index += 1 }
                } else {
                    text.append(character)
                }
            }
        }
        index += closing.count
        if multiline, text.hasSuffix("\n") { text.removeLast() }
        if !text.isEmpty { parts.append(.text(text)) }
        return parts
    }

    /// Skips an interpolation's expression up to its closing parenthesis, literals inside it included.
    mutating func skipInterpolation() {
        var depth = 1
        while index < characters.count, depth > 0 {
            if literalHere() != nil { continue }
            switch characters[index] {
            case "(": depth += 1
            case ")": depth -= 1
            default: break
            }
            index += 1
        }
    }
}

/// Whether a documented message, with `…` where values go, is printed by some template: it matches the template's
/// text (or a prefix of it: a trailing `…` may stand for whatever follows), each `…` standing for an interpolation.
/// An interpolation may also be filled by a whole other template, one level deep, as `found \(what), expected
/// \(expected)` is filled by the decoder's expectations. A template counts only if one of its own texts of at least 6
/// characters is in the message, so templates of interpolations and punctuation (`"\(a) \(b)"`) match nothing.
struct TemplateMatcher {
    enum Part {
        case text([Character])
        case hole
    }

    var templates: [[Part]]
    /// Templates that start with text, by their first character: the ones that can fill an interpolation.
    var fillings: [Character: [[Part]]] = [:]

    init(templates: [[TemplatePart]]) {
        self.templates = templates.map { $0.map { part in
            switch part {
            case .text(let text): .text(Array(text))
            case .hole: .hole
            }
        } }
        for template in self.templates {
            if case .text(let first)? = template.first, let character = first.first {
                fillings[character, default: []].append(template)
            } else if !template.isEmpty {
                // A template that starts with an interpolation can fill a `…` of the message.
                fillings["…", default: []].append(template)
            }
        }
    }

    func matches(_ message: String) -> Bool {
        var text = Array(message)
        while text.last == "…" { text.removeLast() }
        return templates.contains { template in
            let anchored = template.contains { part in
                if case .text(let literal) = part { literal.count >= 6 && Self.contains(text, literal) } else { false }
            }
            guard anchored else { return false }
            let outcome = consume(text, from: [0], template[...], nested: true)
            return outcome.prefix || outcome.ends.contains(text.count)
        }
    }

    static func contains(_ text: [Character], _ literal: [Character]) -> Bool {
        guard literal.count <= text.count else { return false }
        return (0...(text.count - literal.count)).contains { text[$0...].starts(with: literal) }
    }

    /// Matches `template` against `text` from each start position: the positions where a complete match ends, and
    /// whether the text ended inside the template (a prefix match).
    func consume(_ text: [Character], from starts: Set<Int>, _ template: ArraySlice<Part>,
                 nested: Bool) -> (ends: Set<Int>, prefix: Bool) {
        var positions = starts
        var prefix = false
        for part in template {
            var next: Set<Int> = []
            for position in positions {
                if position == text.count { prefix = true; continue }
                switch part {
                case .text(let literal):
                    let rest = text[position...]
                    if rest.starts(with: literal) {
                        next.insert(position + literal.count)
                    } else if literal.starts(with: rest) {
                        prefix = true
                    }
                case .hole:
                    // An interpolation may print nothing, as an optional suffix does.
                    next.insert(position)
                    if text[position] == "…" { next.insert(position + 1) }
                    guard nested else { continue }
                    for inner in fillings[text[position]] ?? [] {
                        let outcome = consume(text, from: [position], inner[...], nested: false)
                        next.formUnion(outcome.ends)
                        prefix = prefix || outcome.prefix
                    }
                }
            }
            positions = next
            if positions.isEmpty { break }
        }
        return (positions, prefix)
    }
}
