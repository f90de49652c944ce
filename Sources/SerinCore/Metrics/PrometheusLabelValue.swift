/// Label values in Prometheus's text exposition format, written by the router's and the reference model server's
/// `/metrics`. The format requires backslash, double quote and line feed to be escaped inside the quotes; anything
/// else is taken as it is.
public enum PrometheusLabelValue {
    /// `value` as it goes between a label's quotes. Works on Unicode scalars, so a line feed after a carriage
    /// return (one `Character` in Swift) is escaped too.
    public static func escaped(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") })
        else { return value }
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
