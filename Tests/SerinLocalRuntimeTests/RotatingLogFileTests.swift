import Foundation
@testable import SerinLocalRuntime
import Testing

/// A chatty model server must not fill the disk, and what it printed last must stay readable.
@Suite("Model server logs")
struct RotatingLogFileTests {
    private func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private func write(_ text: String, to log: RotatingLogFile) {
        log.append(ArraySlice(Array(text.utf8)))
    }

    @Test func aWriteThatWouldPassTheLimitMovesTheLogToDotOneAndStartsAFreshOne() throws {
        let directory = StateDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let log = RotatingLogFile(path: directory.path + "/server.log", maxBytes: 10, keep: 3)
        write("first\n", to: log)
        write("second\n", to: log)
        #expect(contents(log.path) == "second\n")
        #expect(contents(log.path + ".1") == "first\n")
    }

    @Test func atMostKeepRotatedFilesAreKeptAndTheOldestIsDropped() throws {
        let directory = StateDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let log = RotatingLogFile(path: directory.path + "/server.log", maxBytes: 4, keep: 2)
        for line in ["aaa\n", "bbb\n", "ccc\n", "ddd\n"] { write(line, to: log) }
        #expect(contents(log.path) == "ddd\n")
        #expect(contents(log.path + ".1") == "ccc\n")
        #expect(contents(log.path + ".2") == "bbb\n")
        #expect(!FileManager.default.fileExists(atPath: log.path + ".3"))
    }

    @Test func aLogOpenedAgainAppendsAndCountsWhatIsAlreadyThere() throws {
        let directory = StateDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let path = directory.path + "/server.log"
        write("before a restart\n", to: RotatingLogFile(path: path, maxBytes: 30, keep: 1))
        let reopened = RotatingLogFile(path: path, maxBytes: 30, keep: 1)
        write("after\n", to: reopened)
        #expect(contents(path) == "before a restart\nafter\n")
        // 23 bytes are there already: 10 more would pass 30.
        write("0123456789", to: reopened)
        #expect(contents(path) == "0123456789")
        #expect(contents(path + ".1") == "before a restart\nafter\n")
    }

    @Test func theLastLinesPrintedAreAtHandForACrashMessage() throws {
        let directory = StateDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let log = RotatingLogFile(path: directory.path + "/server.log", maxBytes: 1 << 20, keep: 1)
        write("starting\nloading model\n\n", to: log)
        write("  Traceback: no such file  \n", to: log)
        #expect(log.lastLines(2) == ["loading model", "Traceback: no such file"])
    }

    @Test func aLinePrintedAgainIsQuotedOnceAtItsLastPlace() throws {
        let directory = StateDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let log = RotatingLogFile(path: directory.path + "/server.log", maxBytes: 1 << 20, keep: 1)
        for _ in 1...3 { write("loading model\nerror: model file missing\n", to: log) }
        #expect(log.lastLines(3) == ["loading model", "error: model file missing"])
        write("loading model\n", to: log)
        #expect(log.lastLines(3) == ["error: model file missing", "loading model"])
    }
}
