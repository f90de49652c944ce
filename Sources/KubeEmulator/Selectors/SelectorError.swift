/// Why a label or field selector could not be parsed; the message reads like kube-apiserver's (for instance
/// `unable to parse requirement: found 'x' expected: '('`), and the server answers it with `400 BadRequest`.
struct SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    var message: String

    var description: String { message }
}
