import SerinCore

/// JSON string quoting for the few texts the emulator writes by hand (kubeconfig values, continue tokens).
enum JSONString {
    static func quote(_ text: String) -> String { JSONValue.string(text).serialized }
}
