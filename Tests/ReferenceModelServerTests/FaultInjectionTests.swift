import ReferenceModelServer
import Testing

/// Fault injection is deterministic so that tests (and demos) can count exactly what they will see.
@Suite("Fault injection and durations")
struct FaultInjectionTests {
    func failures(rate: Double, requests: Int) -> [Int] {
        let faults = FaultInjection(errorRate: rate)
        return (1...requests).filter { faults.injectsFailure(requestNumber: $0) }
    }

    @Test func aRateOfOneFifthFailsEveryFifthRequest() {
        #expect(failures(rate: 0.2, requests: 100) == Array(stride(from: 5, through: 100, by: 5)))
    }

    @Test(arguments: [0.0, 0.01, 0.1, 0.25, 0.3, 0.57, 0.999, 1.0])
    func anyRateFailsExactlyItsShareOfTheFirstRequests(rate: Double) {
        for requests in [1, 7, 100, 1000] {
            let expected = Int((rate * 1_000_000).rounded()) * requests / 1_000_000
            #expect(failures(rate: rate, requests: requests).count == expected, "rate \(rate) over \(requests)")
        }
    }

    @Test func failuresAreSpreadEvenlyNotBunched() {
        // 0.3: never two failures in a row, and every window of 10 holds exactly 3.
        let failed = Set(failures(rate: 0.3, requests: 200))
        for start in 1...191 {
            #expect((start..<start + 10).filter(failed.contains).count == 3)
        }
    }

    @Test func durationsAreReadWithTheirUnits() throws {
        #expect(try DurationText.parse("50ms") == .milliseconds(50))
        #expect(try DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(try DurationText.parse("2m") == .seconds(120))
        #expect(try DurationText.parse("250us") == .microseconds(250))
        #expect(try DurationText.parse("0") == .zero)
        for bad in ["50", "ms", "-1s", "1.5.2s", "5 parsecs", ""] {
            #expect(throws: DurationText.ParseError(text: bad)) { try DurationText.parse(bad) }
        }
        #expect(DurationText.ParseError(text: "50").description
            == #""50" is not a duration: write a number and a unit, such as 50ms, 1.5s or 2m (units: ns, us, ms, s, m, h)"#)
    }

    @Test func theSummaryNamesTheFaultsThatAreOn() {
        #expect(FaultInjection().summary == "none")
        #expect(FaultInjection(errorRate: 0.2, latency: .milliseconds(50), failAfter: 10, readyAfter: .seconds(2)).summary
            == "error rate 0.2, latency 50ms, fail after 10 infer requests, ready after 2s")
    }
}
