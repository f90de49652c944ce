/// A Kubernetes resource quantity: `500m`, `1`, `2Gi`, `1.5`, `128974848`, `1e3`.
///
/// Kept as written (so the manifests Serin generates carry the user's own spelling) together with its value,
/// which is what comparisons such as "the limit is not below the request" need.
public struct Quantity: Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var value: Double

    private static let binary: [String: Double] = ["Ki": 0x1p10, "Mi": 0x1p20, "Gi": 0x1p30, "Ti": 0x1p40, "Pi": 0x1p50, "Ei": 0x1p60]
    private static let decimal: [String: Double] = ["n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9,
                                                    "T": 1e12, "P": 1e15, "E": 1e18]

    /// Parses the quantity grammar of Kubernetes (`<number><suffix>`, suffix binary SI, decimal SI or a decimal
    /// exponent). Negative quantities are refused: no resource is negative.
    public init?(parsing text: String) {
        let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let suffix = String(text.dropFirst(number.count))
        guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
              let mantissa = Double(number) else { return nil }
        let scale: Double
        if let factor = Self.binary[suffix] ?? Self.decimal[suffix] {
            scale = factor
        } else if let first = suffix.first, first == "e" || first == "E" {
            let exponentText = suffix.dropFirst()
            let digits = exponentText.hasPrefix("-") || exponentText.hasPrefix("+") ? exponentText.dropFirst() : exponentText
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let exponent = Int(exponentText),
                  abs(exponent) <= 18 else { return nil }
            scale = pow10(exponent)
        } else {
            return nil
        }
        self.text = text
        self.value = mantissa * scale
    }

    public var description: String { text }
}

private func pow10(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(exponent) { result *= 10 }
    return exponent < 0 ? 1 / result : result
}
