import Logging
import SerinOperator
import Synchronization
import Testing

/// The lines `serin run` writes: for a terminal, for systemd's journal, for a log pipeline.
@Suite("ConsoleLogHandler")
struct ConsoleLogHandlerTests {
    /// What a handler wrote.
    final class Output: Sendable {
        private let entries = Mutex<[String]>([])
        var text: String { entries.withLock { $0.joined() } }
        func write(_ entry: String) { entries.withLock { $0.append(entry) } }
    }

    static func logger(_ format: ConsoleLogHandler.Format, into output: Output) -> Logger {
        Logger(label: "serin") { label in
            ConsoleLogHandler(label: label, format: format, level: .debug, write: output.write)
        }
    }

    @Test func aTextLineLeadsWithTheTimeThenTheModelThenTheMessageThenTheRest() {
        let output = Output()
        Self.logger(.text, into: output).info("v2 now takes 50%.", metadata: ["model": "ml/iris", "version": "2", "weight": "50"])
        #expect(output.text.wholeMatch(of: /\d\d:\d\d:\d\d  ml\/iris v2  v2 now takes 50%\.  weight=50\n/) != nil, "\(output.text)")
    }

    @Test func aJournalLineLeadsWithItsPriorityAndLeavesTheTimeToTheJournal() {
        let output = Output()
        Self.logger(.journal, into: output).info("v2 now takes 50%.", metadata: ["model": "ml/iris", "version": "2", "weight": "50"])
        #expect(output.text == "<6>ml/iris v2  v2 now takes 50%.  weight=50\n")
    }

    @Test(arguments: [(Logger.Level.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)])
    func eachLevelHasItsSyslogPriorityInTheJournal(level: Logger.Level, priority: Int) {
        let output = Output()
        Self.logger(.journal, into: output).log(level: level, "model server exited")
        #expect(output.text.hasPrefix("<\(priority)>"), "\(output.text)")
    }

    /// The journal makes an entry of every line it reads: a line without a priority would be filed as information.
    @Test func everyLineOfAMessageThatSpansLinesCarriesThePriorityInTheJournal() {
        let output = Output()
        Self.logger(.journal, into: output).error("the model server could not start:\nout of memory")
        #expect(output.text == "<3>error: the model server could not start:\n<3>out of memory\n")
    }

    @Test func aJSONLineKeepsItsOwnFieldsWhenMetadataCollides() {
        let output = Output()
        Self.logger(.json, into: output).warning("gate failed", metadata: ["message": "from metadata"])
        #expect(output.text.contains(#""message":"gate failed""#), "\(output.text)")
        #expect(output.text.contains(#""message_":"from metadata""#), "\(output.text)")
        #expect(output.text.contains(#""level":"warning""#), "\(output.text)")
    }
}
