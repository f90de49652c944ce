/// One webhook request as the receiver judges it: headers and the whole body (already capped by the server).
public struct WebhookRequest: Sendable {
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(headers: [(name: String, value: String)], body: [UInt8]) {
        self.headers = headers
        self.body = body
    }

    /// Every value of a header, matching its name without regard to case, as HTTP does.
    public func values(of name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// The first value of a header, if any.
    public func value(of name: String) -> String? { values(of: name).first }
}
