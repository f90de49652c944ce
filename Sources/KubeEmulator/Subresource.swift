/// Which endpoint of an object a write came through.
enum Subresource: String, Sendable {
    case main = ""
    case status
    case scale
}
