import SerinOperator
import Testing

@Suite("Work queue")
struct WorkQueueTests {
    @Test func aKeyAddedManyTimesIsQueuedOnce() async {
        let queue = WorkQueue<String, ManualClock>(clock: ManualClock())
        for _ in 0..<5 { await queue.add("ml/iris") }
        await queue.add("ml/fraud")
        #expect(await queue.depth == 2)
        #expect(await queue.next() == "ml/iris")
        #expect(await queue.next() == "ml/fraud")
    }

    @Test func aKeyBeingProcessedIsNotHandedOutAgainButRunsOnceMoreAfterDone() async {
        let queue = WorkQueue<String, ManualClock>(clock: ManualClock())
        await queue.add("ml/iris")
        #expect(await queue.next() == "ml/iris")
        await queue.add("ml/iris")
        await queue.add("ml/iris")
        #expect(await queue.depth == 0)
        await queue.done("ml/iris")
        #expect(await queue.depth == 1)
        #expect(await queue.next() == "ml/iris")
        await queue.done("ml/iris")
        #expect(await queue.depth == 0)
    }

    @Test func aDelayedKeyArrivesWhenItsTimeComesAndNotBefore() async {
        let clock = ManualClock()
        let queue = WorkQueue<String, ManualClock>(clock: clock)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await queue.runTimers() }
            await queue.add("ml/iris", after: .seconds(60))
            #expect(await eventually { clock.sleeperCount == 1 })
            clock.advance(by: .seconds(59))
            #expect(await queue.depth == 0)
            clock.advance(by: .seconds(1))
            #expect(await eventually { await queue.depth == 1 })
            await queue.shutDown()
        }
    }

    @Test func theEarlierOfTwoDelaysWins() async {
        let clock = ManualClock()
        let queue = WorkQueue<String, ManualClock>(clock: clock)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await queue.runTimers() }
            await queue.add("ml/iris", after: .seconds(60))
            await queue.add("ml/iris", after: .seconds(10))
            await queue.add("ml/iris", after: .seconds(30))
            #expect(await queue.deadline(of: "ml/iris") == ManualClock.Instant(offset: .seconds(10)))
            #expect(await eventually { clock.sleeperCount == 1 })
            clock.advance(by: .seconds(10))
            #expect(await eventually { await queue.depth == 1 })
            await queue.shutDown()
        }
    }

    @Test func addingAKeyNowCancelsItsDelay() async {
        let queue = WorkQueue<String, ManualClock>(clock: ManualClock())
        await queue.add("ml/iris", after: .seconds(60))
        await queue.add("ml/iris")
        #expect(await queue.deadline(of: "ml/iris") == nil)
        #expect(await queue.depth == 1)
    }

    @Test func failuresBackOffExponentiallyUpToTheCapUntilForgotten() async {
        let queue = WorkQueue<String, ManualClock>(clock: ManualClock(), baseBackoff: .seconds(1), maxBackoff: .seconds(10))
        var delays: [Duration] = []
        for _ in 0..<6 { delays.append(await queue.addAfterFailure("ml/iris")) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        await queue.forget("ml/iris")
        #expect(await queue.addAfterFailure("ml/iris") == .seconds(1))
    }

    @Test func waitingWorkersGetTheNextKeyAndNilOnShutdown() async {
        let queue = WorkQueue<String, ManualClock>(clock: ManualClock())
        async let first = queue.next()
        async let second = queue.next()
        #expect(await eventually { await queue.idleWorkers == 2 })
        await queue.add("ml/iris")
        await queue.shutDown()
        let results = await [first, second]
        #expect(results.compactMap { $0 } == ["ml/iris"])
        #expect(await queue.next() == nil)
    }
}
