import Logging
import SerinOperator
import Synchronization
import Testing
import TestSupport

/// When Serin tells the service manager it is alive: only while every part it probes answers on all its threads.
@Suite("Service watchdog")
struct ServiceWatchdogTests {
    @Test func theTimeoutComesFromSystemdsMicrosecondsAndWordGoesOutTwiceWithinIt() throws {
        let watchdog = try #require(ServiceWatchdog(environment: ["WATCHDOG_USEC": "30000000"], processID: 42))
        #expect(watchdog.timeout == .seconds(30))
        #expect(watchdog.interval == .seconds(15))
        #expect(watchdog.probeLimit == .milliseconds(7500))
    }

    @Test func aWatchdogNamedForThisProcessIsKept() {
        #expect(ServiceWatchdog(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], processID: 42) != nil)
    }

    @Test func aWatchdogNamedForAnotherProcessIsNotThisOnes() {
        // Inherited from a watched parent: pinging for it would hide the parent's own hang.
        #expect(ServiceWatchdog(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "41"], processID: 42) == nil)
    }

    @Test(arguments: [[:], ["WATCHDOG_USEC": "0"], ["WATCHDOG_USEC": "-5"], ["WATCHDOG_USEC": "30s"], ["WATCHDOG_USEC": ""]])
    func noWatchdogWithoutAPositiveNumberOfMicroseconds(environment: [String: String]) {
        #expect(ServiceWatchdog(environment: environment, processID: 42) == nil)
    }

    @Test func aBeatPingsWhenEveryPartAnswers() async {
        let pings = Counter()
        let problems = await ServiceWatchdog(timeout: .seconds(4)).beat(probes: [.answering("router"), .answering("endpoints")]) {
            pings.add()
        }
        #expect(problems.isEmpty)
        #expect(pings.value == 1)
    }

    @Test func aBeatWithAPartNotAnsweringDoesNotPingAndSaysWhichPartAndHowManyThreads() async {
        let pings = Counter()
        let asked = Mutex<Duration?>(nil)
        let stuck = ServiceWatchdog.Probe(name: "router") { limit in
            asked.withLock { $0 = limit }
            return 2
        }
        let problems = await ServiceWatchdog(timeout: .seconds(4)).beat(probes: [.answering("endpoints"), stuck]) { pings.add() }
        #expect(pings.value == 0)
        #expect(problems == ["router: 2 threads did not answer within 1.0 seconds"])
        // Each part gets a quarter of the timeout, so that a beat ends well before the next is due.
        #expect(asked.withLock { $0 } == .seconds(1))
    }

    @Test func runningItTellsOnceWhenPartsStopAnsweringAndOnceWhenTheyAnswerAgain() async {
        let pings = Counter(), beats = Counter()
        // Stuck threads beat by beat: answering, two beats stuck, answering again.
        let stuckByBeat = [0, 1, 1, 0]
        let probe = ServiceWatchdog.Probe(name: "router") { _ in
            let beat = beats.value
            beats.add()
            return beat < stuckByBeat.count ? stuckByBeat[beat] : 0
        }
        let log = CapturedLog()
        let run = Task {
            await ServiceWatchdog(timeout: .milliseconds(20)).run(probes: [probe], ping: { pings.add() }, logger: log.logger)
        }
        while beats.value < stuckByBeat.count { try? await Task.sleep(for: .milliseconds(5)) }
        run.cancel()
        await run.value

        #expect(pings.value >= 2)
        #expect(pings.value == beats.value - 2, "one ping for each beat with every thread answering")
        let told = log.lines.filter { $0.level >= .notice }
        #expect(told.map(\.level) == [.error, .notice], "\(told.map(\.message))")
        #expect(told.first?.message.contains("the service manager restarts it if this lasts 0.02 seconds") == true)
        #expect(told.first?.metadata["unanswered"] == "router: 1 thread did not answer within 0.005 seconds")
    }
}

extension ServiceWatchdog.Probe {
    static func answering(_ name: String) -> Self { Self(name: name) { _ in 0 } }
}

private final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
