import SerinCore

/// Small adapters over SerinCore's JSONValue for the emulator.
enum JSONString {
    static func quote(_ text: String) -> String { JSONValue.string(text).serialized }
}

enum JSONValueReader {
    /// Parses JSON text, nil on failure (for tokens and other inputs where the reason does not matter).
    static func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue(parsing: text) }
}
