/// A request that got no usable HTTP answer. Any HTTP status, even 500, is an answer and not an error here: each
/// adapter decides what a status means for it.
public enum HTTPTransportError: Error, Sendable, Hashable {
    /// No answer: connection refused, DNS, TLS verification and the like, with libcurl's own message.
    case unreachable(String)
    /// No complete answer within the request's timeout, with libcurl's own message.
    case timedOut(String)
    /// The body exceeded the request's `maxBodyBytes`; the transfer was aborted.
    case bodyTooLarge(limit: Int)
    /// The calling task was cancelled.
    case cancelled
}

extension HTTPTransportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unreachable(let message): message
        case .timedOut(let message): message
        case .bodyTooLarge(let limit): "the response body is larger than the \(limit)-byte limit"
        case .cancelled: "the request was cancelled"
        }
    }
}
