import SerinCore
import Testing

/// `Duration.wholeMilliseconds`, the one conversion timeouts and the sync schedule use.
@Suite("Whole milliseconds")
struct WholeMillisecondsTests {
    @Test func aDurationIsRoundedDownToWholeMilliseconds() {
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
        #expect(Duration.microseconds(2999).wholeMilliseconds == 2)
        #expect(Duration.seconds(60).wholeMilliseconds == 60_000)
    }

    @Test func aNegativeDurationIsZero() {
        #expect(Duration.milliseconds(-5).wholeMilliseconds == 0)
        #expect(Duration.seconds(-1).wholeMilliseconds == 0)
    }

    @Test func aHugeDurationSaturatesInsteadOfOverflowing() {
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == 10_000_000_000_000_000)
    }
}
