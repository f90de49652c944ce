import Foundation
import ReferenceModelServer
import Testing

/// The model math: exact values for weights and inputs that binary floating point holds exactly.
@Suite("Linear and logistic models")
struct LinearModelTests {
    let linear = LinearModel(kind: .linear, weights: [0.5, -2, 0.25, 4], bias: 1)

    @Test func aLinearModelPredictsTheWeightedSumPlusTheBias() throws {
        let model = try #require(linear)
        #expect(model.featureCount == 4)
        // 0.5·2 − 2·1 + 0.25·4 + 4·0.5 + 1 = 1 − 2 + 1 + 2 + 1
        #expect(model.predict([2, 1, 4, 0.5]) == 3)
    }

    @Test func aBatchOfThreeRowsGivesOnePredictionPerRowInOrder() throws {
        let model = try #require(linear)
        let batch: [Double] = [
            2, 1, 4, 0.5,
            0, 0, 0, 0,
            -1, 0.5, 8, 0.125,
        ]
        // Row 3: −0.5 − 1 + 2 + 0.5 + 1
        #expect(model.predict(batch: batch) == [3, 1, 2])
    }

    @Test func aLogisticModelAnswersTheSigmoidOfTheScore() throws {
        let model = try #require(LinearModel(kind: .logistic, weights: [1, 1], bias: 0))
        #expect(model.predict([0, 0]) == 0.5)
        #expect(model.predict([1, 0]) == 1 / (1 + exp(-1)))
        #expect(model.predict([-1, 0]) == exp(-1) / (1 + exp(-1)))
        #expect(abs(model.predict([-1, 0]) + model.predict([1, 0]) - 1) < 1e-15)
    }

    @Test func aLogisticModelStaysWithinZeroAndOneForHugeScores() throws {
        let model = try #require(LinearModel(kind: .logistic, weights: [1], bias: 0))
        #expect(model.predict([1000]) == 1)
        #expect(model.predict([-1000]) == 0)
        #expect(model.predict([-30]) > 0)
    }

    @Test func aModelWithoutWeightsOrWithNonFiniteNumbersCannotBeMade() {
        #expect(LinearModel(kind: .linear, weights: [], bias: 0) == nil)
        #expect(LinearModel(kind: .linear, weights: [.nan], bias: 0) == nil)
        #expect(LinearModel(kind: .linear, weights: [1], bias: .infinity) == nil)
    }
}
