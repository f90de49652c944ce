/// Samples of a Prometheus text exposition, by series (`name{labels}` exactly as written), for assertions that
/// do not depend on how a number is formatted.
struct Exposition {
    let text: String
    let samples: [String: Double]
    /// `# TYPE` lines: metric name to type.
    let types: [String: String]

    init(_ bytes: [UInt8]) {
        text = String(decoding: bytes, as: UTF8.self)
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { continue }
            let value = line[line.index(after: space)...]
            samples[String(line[..<space])] = value == "+Inf" ? .infinity : Double(value)
        }
        self.samples = samples
        self.types = types
    }

    subscript(series: String) -> Double? { samples[series] }
}
