import Foundation
import SerinCore

/// The opaque `continue` of a paginated list: the resourceVersion of the first page and the key after which the
/// next page starts, base64url-encoded JSON like the real server's.
struct ContinueToken: Sendable, Equatable {
    var resourceVersion: Int64
    var start: String

    var encoded: String {
        let json = "{\"v\":\"meta.k8s.io/v1\",\"rv\":\(resourceVersion),\"start\":\(JSONString.quote(start + "\u{0}"))}"
        return Data(json.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(resourceVersion: Int64, start: String) {
        self.resourceVersion = resourceVersion
        self.start = start
    }

    init?(decoding token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              let json = try? JSONValue(parsing: text),
              let version = json["rv"]?.integerValue, let start = json["start"]?.stringValue
        else { return nil }
        resourceVersion = version
        self.start = start.hasSuffix("\u{0}") ? String(start.dropLast()) : start
    }
}
