import SerinCore
import Testing

@Suite("Timestamps in RFC 3339")
struct TimestampTests {
    @Test(arguments: [
        (Int64(1_795_918_852_000), "2026-11-29T02:20:52Z"),
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400_000, "2000-02-29T00:00:00Z"),
        (-1_000, "1969-12-31T23:59:59Z"),
        (-2_203_891_200_000, "1900-03-01T00:00:00Z"),
        (253_402_300_799_000, "9999-12-31T23:59:59Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00Z"),
    ])
    func formatsWholeSecondsWithoutAFraction(_ milliseconds: Int64, _ text: String) {
        #expect(Timestamp(millisecondsSinceEpoch: milliseconds).description == text)
    }

    @Test func formatsMillisecondsWhenNotZero() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_918_852_123).description == "2026-11-29T02:20:52.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_918_852_007).description == "2026-11-29T02:20:52.007Z")
    }

    @Test func formatsMillisecondsBeforeTheEpochOnTheRightDay() {
        #expect(Timestamp(millisecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        ("2026-11-29T02:20:52Z", Int64(1_795_918_852_000)),
        ("2026-11-29t02:20:52z", 1_795_918_852_000),
        ("2026-11-29T02:20:52.123Z", 1_795_918_852_123),
        ("2026-11-29T02:20:52.1Z", 1_795_918_852_100),
        ("2026-11-29T02:20:52.123999Z", 1_795_918_852_123),
        ("2026-11-29T03:20:52+01:00", 1_795_918_852_000),
        ("2026-11-28T21:50:52-04:30", 1_795_918_852_000),
        ("2026-11-29T02:20:52-00:00", 1_795_918_852_000),
        ("1969-12-31T23:59:59Z", -1_000),
    ])
    func parsesUTCAndOffsets(_ text: String, _ milliseconds: Int64) {
        #expect(Timestamp(rfc3339: text) == Timestamp(millisecondsSinceEpoch: milliseconds))
    }

    @Test(arguments: [
        "", "2026-11-29", "2026-11-29T02:20:52", "2026-11-29 02:20:52Z", "2026-11-29T02:20Z", "26-11-29T02:20:52Z",
        "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-11-29T24:00:00Z", "2026-11-29T02:60:00Z", "2026-11-29T23:59:60Z", "2026-11-29T02:20:52.Z",
        "2026-11-29T02:20:52+0100", "2026-11-29T02:20:52+24:00", "2026-11-29T02:20:52Z ", "２026-11-29T02:20:52Z",
    ])
    func refusesWhatIsNotAnRFC3339Instant(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func acceptsTheLeapDayOfALeapYear() {
        #expect(Timestamp(rfc3339: "2000-02-29T00:00:00Z")?.millisecondsSinceEpoch == 951_782_400_000)
        #expect(Timestamp(rfc3339: "2024-02-29T12:00:00Z") != nil)
    }

    @Test func everyDayOfFourHundredYearsRoundTrips() {
        let day: Int64 = 86_400_000
        var milliseconds: Int64 = -146_097 * day / 2
        var mismatches: [String] = []
        while milliseconds < 146_097 * day / 2 {
            let time = Timestamp(millisecondsSinceEpoch: milliseconds)
            if Timestamp(rfc3339: time.description) != time { mismatches.append(time.description) }
            milliseconds += day + 3_723_001
        }
        #expect(mismatches.isEmpty)
    }

    @Test func wholeSecondsRoundDownAsGitCommitTimesDo() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_918_852_999).secondsSinceEpoch == 1_795_918_852)
        #expect(Timestamp(millisecondsSinceEpoch: -1).secondsSinceEpoch == -1)
        #expect(Timestamp(secondsSinceEpoch: 1_795_918_852) == transitionTime)
    }

    @Test func ordersByInstantWhateverTheOffset() throws {
        let earlier = try #require(Timestamp(rfc3339: "2026-11-29T03:00:00+02:00"))
        let later = try #require(Timestamp(rfc3339: "2026-11-29T02:00:00Z"))
        #expect(earlier < later)
    }
}
