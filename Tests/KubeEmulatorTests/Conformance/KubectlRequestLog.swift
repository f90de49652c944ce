import Foundation
import SerinCore
import Testing

/// The requests kubectl v1.32 sent to a real kube-apiserver and the answers it got, read from its -v=8/9 log
/// (../shared/reference/kube-apiserver-1.36/kubectl-requests.log), grouped by the command that sent them.
struct KubectlExchange: Sendable, CustomTestStringConvertible {
    var command: String
    var method: String
    /// Path and query, without scheme and host.
    var path: String
    var contentType: String?
    var requestBody: String?
    var status: Int
    var responseBody: String?

    var testDescription: String { "\(command): \(method) \(path)" }

    static func all() throws -> [KubectlExchange] {
        let text = try String(contentsOf: ReferenceData.directory.appendingPathComponent("kubectl-requests.log"), encoding: .utf8)
        return KubectlLogParser(lines: text.components(separatedBy: "\n")).exchanges()
    }
}

/// Reads klog lines of both verbosities kubectl wrote: `round_trippers.go:470] GET URL` with "Response Status: …"
/// (-v=8), and `curl -v -XGET … 'URL'` with `GET URL 200 OK in …` (-v=9). Bodies are Go-quoted strings
/// (`body="…"`) or indented blocks (`body=<` … ` >`).
struct KubectlLogParser {
    let lines: [String]

    func exchanges() -> [KubectlExchange] {
        var result: [KubectlExchange] = []
        var command = ""
        var pendingBody: String?
        var current: KubectlExchange?
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("### ") {
                if let done = current { result.append(done); current = nil }
                command = String(line.dropFirst(4))
            } else if let body = Self.body(in: lines, at: &index, label: "\"Request Body\"") {
                pendingBody = body.isEmpty ? nil : body
            } else if let body = Self.body(in: lines, at: &index, label: "\"Response Body\"") {
                current?.responseBody = body
            } else if let (method, url) = Self.requestLine(line) {
                if let done = current { result.append(done) }
                current = KubectlExchange(command: command, method: method, path: Self.pathAndQuery(url),
                                          contentType: Self.curlHeader(line, "Content-Type"), requestBody: pendingBody,
                                          status: 0, responseBody: nil)
                pendingBody = nil
            } else if line.contains("]     Content-Type: "), current?.status == 0, current?.contentType == nil {
                current?.contentType = line.components(separatedBy: "Content-Type: ").last
            } else if let status = Self.status(line) {
                current?.status = status
            }
            index += 1
        }
        if let done = current { result.append(done) }
        return result
    }

    /// `round_trippers.go:470] GET https://…` or `round_trippers.go:473] curl -v -XGET … 'https://…'`.
    static func requestLine(_ line: String) -> (String, String)? {
        if line.contains("round_trippers.go:470] ") {
            let parts = line.components(separatedBy: "] ").dropFirst().joined(separator: "] ").split(separator: " ")
            guard parts.count >= 2 else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
        if line.contains("] curl -v -X") {
            guard let method = line.components(separatedBy: "curl -v -X").last?.split(separator: " ").first,
                  let url = line.split(separator: "'", omittingEmptySubsequences: false).dropLast().last else { return nil }
            return (String(method), String(url))
        }
        return nil
    }

    static func curlHeader(_ line: String, _ name: String) -> String? {
        guard line.contains("curl -v"), let range = line.range(of: "-H \"\(name): ") else { return nil }
        return line[range.upperBound...].split(separator: "\"").first.map(String.init)
    }

    /// `Response Status: 200 OK in …` (-v=8) or `GET URL 200 OK in …` (-v=9).
    static func status(_ line: String) -> Int? {
        if let range = line.range(of: "Response Status: ") {
            return Int(line[range.upperBound...].prefix(3))
        }
        if line.contains("round_trippers.go:560] ") {
            let words = line.split(separator: " ")
            guard words.count >= 4 else { return nil }
            return Int(words[3])
        }
        return nil
    }

    static func pathAndQuery(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
    }

    /// A body logged as `label body="…"` or as `label body=<` followed by tab-indented lines and ` >`.
    static func body(in lines: [String], at index: inout Int, label: String) -> String? {
        let line = lines[index]
        guard let labelRange = line.range(of: label + " body=") else { return nil }
        let rest = line[labelRange.upperBound...]
        if rest.hasPrefix("<") {
            var collected: [String] = []
            while index + 1 < lines.count, lines[index + 1] != " >" {
                index += 1
                collected.append(String(lines[index].drop { $0 == "\t" }))
            }
            index += 1
            return collected.joined(separator: "\n")
        }
        guard rest.hasPrefix("\"") else { return nil }
        return goUnquote(rest.dropFirst())
    }

    /// Reads a Go %q string up to its closing quote; a truncated one ("… [truncated N chars]") stops at the cut.
    static func goUnquote(_ text: Substring) -> String {
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            switch character {
            case "\"": return result
            case "\\":
                switch iterator.next() {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case let other?: result.append("\\"); result.append(other)
                case nil: return result
                }
            default: result.append(character)
            }
        }
        return result
    }
}
