import SerinCore

/// Why the model named by `--model` could not be served. Each description is one line that names the file and,
/// for a bad document, the field and what was expected there, so the fix is obvious without reading the source.
public struct ModelLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Nothing exists at the path.
        case missing
        /// The path exists but could not be read; the operating system's reason.
        case unreadable(String)
        case isDirectory
        /// The file is larger than `ModelFile.maximumSize`; its size in bytes.
        case tooLarge(Int)
        case invalidJSON(JSONParseError)
        /// A field is missing or holds the wrong thing. `found` is "missing" or the value as JSON.
        case invalidField(field: String, found: String, expected: String)
        /// A URI with a scheme other than file://, or a file:// URI naming another host.
        case unsupportedURI
    }

    /// The path (or, for `unsupportedURI`, the URI) as the user gave it.
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing:
            return "model file \(path) does not exist: pass --model with the path or file:// URI of a model JSON file"
        case .unreadable(let why):
            return "cannot read model file \(path): \(why)"
        case .isDirectory:
            return "model file \(path) is a directory: pass the model JSON file itself"
        case .tooLarge(let bytes):
            return "model file \(path) is \(bytes) bytes, over the \(ModelFile.maximumSize / (1024 * 1024)) MiB limit: "
                + "a reference model is a list of weights and a bias"
        case .invalidJSON(let error):
            return "model file \(path) is not valid JSON: \(error)"
        case .invalidField(let field, let found, let expected):
            let foundText = found == "missing" ? "is missing" : "is \(found)"
            return "model file \(path): \(field) \(foundText): expected \(expected)"
        case .unsupportedURI:
            return "model \(path) is not a local file: serin-model-server serves a path or a file:// URI on this "
                + "machine; download the model first"
        }
    }
}
