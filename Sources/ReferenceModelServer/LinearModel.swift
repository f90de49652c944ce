import Foundation

/// A linear or logistic regression: the smallest model whose every prediction a test or a reader can work out by
/// hand, so that a bad model version shows up as visibly wrong numbers (and a rollback as right ones again) without
/// Python or a real framework.
public struct LinearModel: Sendable, Hashable {
    /// What the weighted sum of the features becomes.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The weighted sum itself: a regression.
        case linear
        /// The sigmoid of the weighted sum: a probability in [0, 1], as a binary classifier answers.
        case logistic
    }

    public let kind: Kind
    public let weights: [Double]
    public let bias: Double

    /// Nil when `weights` is empty or a number is not finite: such a model could not answer any request sensibly.
    public init?(kind: Kind, weights: [Double], bias: Double) {
        guard !weights.isEmpty, weights.allSatisfy(\.isFinite), bias.isFinite else { return nil }
        self.kind = kind
        self.weights = weights
        self.bias = bias
    }

    /// How many features one example has: the second dimension of the input tensor.
    public var featureCount: Int { weights.count }

    /// The prediction for one example. The sum runs from the first weight to the last and adds the bias last, so
    /// tests can state exact expected values.
    public func predict<Features: Collection<Double>>(_ features: Features) -> Double {
        var sum = 0.0
        for (weight, feature) in zip(weights, features) {
            sum += weight * feature
        }
        let score = sum + bias
        switch kind {
        case .linear: return score
        case .logistic: return Self.sigmoid(score)
        }
    }

    /// Predictions for a row-major batch of examples (`featureCount` values each); a trailing partial row is ignored
    /// (the protocol codec has already checked that the values fill the shape).
    public func predict(batch values: [Double]) -> [Double] {
        let rows = values.count / featureCount
        return (0..<rows).map { row in
            predict(values[row * featureCount..<(row + 1) * featureCount])
        }
    }

    /// 1 / (1 + e^-z), computed on the side that cannot overflow: e^-z for a large negative z is infinite, which
    /// would give 0 correctly, but e^z / (1 + e^z) keeps precision for negative scores.
    static func sigmoid(_ score: Double) -> Double {
        if score >= 0 {
            return 1 / (1 + exp(-score))
        }
        let exponential = exp(score)
        return exponential / (1 + exponential)
    }
}
