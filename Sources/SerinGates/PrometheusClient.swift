import Foundation
import Logging
import SerinCore
import SerinHTTP

/// Instant queries against the Prometheus HTTP API (`POST /api/v1/query`), over SerinHTTP's libcurl transport.
///
/// Queries are POSTed as a form so long generated PromQL never meets a URL length limit. Every answer is sorted
/// into a `QueryResult` or a `PrometheusError`: a 400/422 with the API's error envelope is the query's fault
/// (`badQuery`, with the server's text), any other error status is the server's (`serverError`), no answer is
/// `unreachable`, and anything that is not the API's JSON is `unexpectedResponse`. Credentials are never logged.
public struct PrometheusClient: MetricsQuerying {
    public let configuration: PrometheusConfiguration
    private let logger: Logger

    public init(configuration: PrometheusConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public var displayAddress: String { DisplayURL.of(configuration.url) }

    public func query(_ promql: String, at time: Double? = nil) async throws(PrometheusError) -> QueryResult {
        var form = [("query", promql), ("timeout", "\(max(1, configuration.timeout.wholeMilliseconds))ms")]
        if let time { form.append(("time", String(format: "%.3f", time))) }
        var headers = ["Content-Type: application/x-www-form-urlencoded", "Accept: application/json"]
        var basic: (username: String, password: String)?
        switch configuration.authentication {
        case .basic(let username, let password)?: basic = (username, password)
        case .bearer(let token)?: headers.append("Authorization: Bearer \(token)")
        case nil: break
        }
        let base = configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url
        let request = HTTPRequest(method: "POST", url: base + "/api/v1/query", headers: headers,
                                  body: Array(FormEncoding.encode(form).utf8), tls: configuration.tls, basicAuth: basic,
                                  connectTimeout: min(configuration.timeout, .seconds(10)), timeout: configuration.timeout,
                                  maxBodyBytes: 8 << 20)
        logger.debug("querying Prometheus", metadata: ["prometheus": "\(displayAddress)", "query": "\(promql)"])
        let response: HTTPResponse
        do {
            response = try await HTTPTransport.send(request)
        } catch {
            switch error {
            case .unreachable(let message): throw .unreachable(message)
            case .timedOut(let message): throw .unreachable("no answer within \(configuration.timeout): \(message)")
            case .bodyTooLarge(let limit): throw .unexpectedResponse("the answer is larger than \(limit) bytes")
            case .cancelled: throw .cancelled
            }
        }
        return try Self.interpret(response)
    }

    /// Sorts an HTTP answer into a result or an error. Internal so the API's corner cases can be tested on bytes.
    static func interpret(_ response: HTTPResponse) throws(PrometheusError) -> QueryResult {
        let json = try? JSONValue(parsing: response.body)
        guard (200..<300).contains(response.status) else {
            let errorType = json?["errorType"]?.stringValue
            let message = json?["error"]?.stringValue ?? Self.excerpt(response.body)
            if response.status == 400 || response.status == 422, let errorType {
                throw .badQuery(errorType: errorType, message: message)
            }
            throw .serverError(status: response.status, message: message)
        }
        guard let json, json["status"]?.stringValue == "success", let data = json["data"] else {
            if let error = json?["error"]?.stringValue { throw .serverError(status: response.status, message: error) }
            throw .unexpectedResponse("HTTP \(response.status) without the API's JSON envelope: \(Self.excerpt(response.body))")
        }
        switch data["resultType"]?.stringValue {
        case "vector":
            guard case .array(let items)? = data["result"] else { throw .unexpectedResponse("a vector without a result list") }
            var samples: [QueryResult.Sample] = []
            for item in items {
                guard case .object(let metric)? = item["metric"], let value = try Self.sampleValue(item["value"]) else {
                    throw .unexpectedResponse("a vector sample without metric and value")
                }
                var labels: [String: String] = [:]
                for (name, value) in metric { labels[name] = value.stringValue ?? "" }
                samples.append(QueryResult.Sample(labels: labels, value: value))
            }
            return .vector(samples)
        case "scalar":
            guard let value = try Self.sampleValue(data["result"]) else { throw .unexpectedResponse("a scalar without a value") }
            return .scalar(value)
        case let other?:
            throw .unexpectedResponse("the query returned a \(other == "matrix" ? "range vector (matrix)" : other), expected a single number: use an instant expression such as sum(rate(x[5m])) rather than x[5m]")
        case nil:
            throw .unexpectedResponse("an answer without a resultType")
        }
    }

    /// `[<unix time>, "<value>"]`; the value is a string so that NaN and ±Inf survive JSON.
    private static func sampleValue(_ pair: JSONValue?) throws(PrometheusError) -> Double? {
        guard case .array(let parts)? = pair, parts.count == 2, let text = parts[1].stringValue else { return nil }
        guard let value = Double(text) else { throw .unexpectedResponse("a sample value \"\(text)\" that is not a number") }
        return value
    }

    private static func excerpt(_ body: [UInt8]) -> String {
        Excerpt.of(body, limit: 300)
    }
}

/// `application/x-www-form-urlencoded`, percent-encoding all but RFC 3986's unreserved characters.
enum FormEncoding {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

/// URLs as messages and logs show them: no user information, no query string (either may hold a credential).
enum DisplayURL {
    static func of(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(an unparsable URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(an unparsable URL)"
    }
}

/// The start of a body as one line of text, for messages.
enum Excerpt {
    static func of(_ body: [UInt8], limit: Int) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
