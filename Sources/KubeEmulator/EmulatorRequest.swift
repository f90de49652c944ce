/// One HTTP request as the API layer sees it.
struct EmulatorRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var rawQuery: String
    var headers: [String: String]
    var body: [UInt8]

    var contentType: String? { headers["content-type"] }
    var userAgent: String? { headers["user-agent"] }

    init(method: String, uri: String, headers: [(String, String)], body: [UInt8]) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts.first ?? "")
        rawQuery = parts.count > 1 ? String(parts[1]) : ""
        var query: [String: String] = [:]
        for pair in rawQuery.split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = PercentDecoding.decode(String(keyValue[0]))
            query[key] = keyValue.count > 1 ? PercentDecoding.decode(String(keyValue[1])) : ""
        }
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        self.headers = lowered
        self.body = body
    }
}

/// Query-string decoding: `+` is a space, `%XX` a byte.
enum PercentDecoding {
    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { continue }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
