import Foundation
import SerinCore

/// The model file format: `{"type": "linear" | "logistic", "weights": [w1, …, wn], "bias": b}`, with an optional
/// `"description"` string for people. Unknown fields are refused, so a typo such as `"bais"` is reported instead of
/// silently serving a model without its bias.
public enum ModelFile {
    /// Far above any reference model, low enough that a wrong path (a data set, an image) fails at once.
    public static let maximumSize = 16 * 1024 * 1024

    static let knownFields: Set<String> = ["type", "weights", "bias", "description"]

    /// Reads and checks the model file at `path`.
    public static func load(path: String) throws(ModelLoadError) -> LinearModel {
        try parse(contents(ofFile: path), path: path)
    }

    /// Checks a model document; `path` only names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(ModelLoadError) -> LinearModel {
        func invalid(_ field: String, _ found: JSONValue?, _ expected: String) -> ModelLoadError {
            ModelLoadError(path: path, reason: .invalidField(field: field, found: found.map(shortJSON) ?? "missing",
                                                            expected: expected))
        }
        let document: JSONValue
        do throws(JSONParseError) {
            document = try JSONValue(parsing: bytes)
        } catch {
            throw ModelLoadError(path: path, reason: .invalidJSON(error))
        }
        guard let fields = document.objectValue else {
            throw invalid("the document", document,
                          #"an object like {"type": "linear", "weights": [0.5, -1.25], "bias": 0.1}"#)
        }
        if let unknown = fields.keys.sorted().first(where: { !knownFields.contains($0) }) {
            throw ModelLoadError(path: path, reason: .invalidField(
                field: "field \"\(unknown)\"", found: "not a model field",
                expected: "only type, weights, bias and description"))
        }
        let kindNames = LinearModel.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        guard let kindName = fields["type"]?.stringValue, let kind = LinearModel.Kind(rawValue: kindName) else {
            throw invalid("\"type\"", fields["type"], kindNames)
        }
        guard let weightValues = fields["weights"]?.arrayValue, !weightValues.isEmpty else {
            throw invalid("\"weights\"", fields["weights"], "a non-empty list of numbers, one per input feature")
        }
        var weights: [Double] = []
        for (index, value) in weightValues.enumerated() {
            guard let weight = number(value) else {
                throw invalid("\"weights\"[\(index)]", value, "a number")
            }
            weights.append(weight)
        }
        guard let biasValue = fields["bias"], let bias = number(biasValue) else {
            throw invalid("\"bias\"", fields["bias"], "a number (the intercept; 0 for none)")
        }
        if let description = fields["description"], description.stringValue == nil {
            throw invalid("\"description\"", description, "a string")
        }
        guard let model = LinearModel(kind: kind, weights: weights, bias: bias) else {
            throw invalid("\"weights\"", fields["weights"], "finite numbers")
        }
        return model
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): return Double(integer)
        case .double(let double): return double
        default: return nil
        }
    }

    /// A value as JSON, cut short so that one error stays one readable line.
    static func shortJSON(_ value: JSONValue) -> String {
        let text = value.serialized
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    /// The file's bytes, with the operating system's reason when it cannot be read.
    static func contents(ofFile path: String) throws(ModelLoadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw ModelLoadError(path: path, reason: code == ENOENT ? .missing : .unreadable(String(cString: strerror(code))))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ModelLoadError(path: path, reason: .unreadable(String(cString: strerror(errno))))
        }
        if (status.st_mode & mode_t(S_IFMT)) == mode_t(S_IFDIR) {
            throw ModelLoadError(path: path, reason: .isDirectory)
        }
        if Int(status.st_size) > maximumSize {
            throw ModelLoadError(path: path, reason: .tooLarge(Int(status.st_size)))
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ModelLoadError(path: path, reason: .unreadable(String(cString: strerror(errno))))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > maximumSize {
                throw ModelLoadError(path: path, reason: .tooLarge(bytes.count))
            }
        }
        return bytes
    }
}
