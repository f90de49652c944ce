import Foundation

/// Turns `--model` into a local path. Deployments name models by URI (`file:///models/iris/2.json`), people by
/// path; both work, and remote URIs are refused with a clear message rather than taken for odd relative paths.
public enum ModelSource {
    /// The local path that `argument` names: the argument itself when it is a path, the decoded path of a
    /// `file://` URI (empty or `localhost` host) otherwise.
    public static func path(from argument: String) throws(ModelLoadError) -> String {
        let filePrefix = "file://"
        if argument.lowercased().hasPrefix(filePrefix) {
            let rest = argument.dropFirst(filePrefix.count)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let host = rest[..<slash]
            guard host.isEmpty || host.lowercased() == "localhost", slash < rest.endIndex,
                  let path = String(rest[slash...]).removingPercentEncoding
            else {
                throw ModelLoadError(path: argument, reason: .unsupportedURI)
            }
            return path
        }
        if let schemeEnd = argument.range(of: "://"),
           argument[..<schemeEnd.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
           !argument[..<schemeEnd.lowerBound].isEmpty
        {
            throw ModelLoadError(path: argument, reason: .unsupportedURI)
        }
        return argument
    }

    /// The model name used when `--name` is not given: the file name without its `.json` extension, as MLServer
    /// names a model after its folder.
    public static func defaultName(forPath path: String) -> String {
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        if fileName.lowercased().hasSuffix(".json"), fileName.count > 5 {
            return String(fileName.dropLast(5))
        }
        return fileName
    }
}
