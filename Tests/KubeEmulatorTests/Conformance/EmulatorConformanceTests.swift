import Foundation
import KubeEmulator
import SerinCore
import Testing

/// Replays every request recorded from a real kube-apiserver against one emulator, in recorded order, starting
/// empty, and compares the answers by the rules in `ConformanceComparison`. Each test is named after its case.
@Suite("Conformance with kube-apiserver 1.36 recordings", .serialized)
struct EmulatorConformanceTests {
    static let cases: [TranscriptCase] = (try? TranscriptCase.all()) ?? []

    @Test func theRecordingsAreReadable() throws {
        #expect(try TranscriptCase.all().count == 56)
    }

    @Test("case", arguments: cases)
    func replay(_ recorded: TranscriptCase) async throws {
        let differences = try await ConformanceSession.shared.replay(recorded)
        #expect(differences.isEmpty, "\(recorded.name):\n\(differences.joined(separator: "\n"))")
    }
}

/// The emulator and what the replay has learned so far, shared by the cases in order.
actor ConformanceSession {
    static let shared = ConformanceSession()

    static let adminToken = "conformance-admin"
    static let nobodyToken = "conformance-nobody"

    private var emulator: KubeEmulator?
    private var identities = RunIdentities()
    /// The last resourceVersion answered, recorded and actual: successive ones must stand in the same order.
    private var lastResourceVersion: (recorded: String, actual: String)?

    private func baseURL() async throws -> String {
        if let emulator { return emulator.baseURL }
        var options = KubeEmulatorOptions()
        options.acceptedTokens = [Self.adminToken]
        options.unprivilegedUsers = [Self.nobodyToken: "nobody"]
        options.simulatesDeploymentController = false
        let started = try await KubeEmulator.start(options)
        emulator = started
        return started.baseURL
    }

    /// The recorder's "nobody" made two requests: one without credentials (401) and one authenticated without
    /// permissions (403). The case name says which.
    private func token(for recorded: TranscriptCase) -> String? {
        switch recorded.request.asUser {
        case "nobody": recorded.name == "unauthenticated" ? nil : Self.nobodyToken
        default: Self.adminToken
        }
    }

    func replay(_ recorded: TranscriptCase) async throws -> [String] {
        let base = try await baseURL()
        let path = identities.translate(path: recorded.request.path)
        let body = recorded.request.body.map { identities.translate(body: $0) }
        var comparison = ConformanceComparison(identities: identities)

        if let stream = recorded.response.stream {
            async let watched = HTTP.send("GET", base + path, token: token(for: recorded), contentType: nil, body: nil)
            try await Task.sleep(for: .milliseconds(500))
            for action in WatchSideActions.actions[recorded.name] ?? [] {
                _ = try await HTTP.send(action.method, base + action.path, token: Self.adminToken, contentType: action.contentType, body: action.body)
            }
            let answer = try await watched
            if answer.status != recorded.response.status { comparison.differ("status code", recorded: recorded.response.status, actual: answer.status) }
            let events = answer.text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            comparison.compareWatch(stream, events)
            return comparison.differences
        }

        let answer = try await HTTP.send(recorded.request.method, base + path, token: token(for: recorded),
                                          contentType: recorded.request.contentType, body: body)
        if answer.status != recorded.response.status {
            comparison.differ("status code", recorded: recorded.response.status, actual: answer.status)
        }
        let divergence = KnownDivergence.cases[recorded.name]
        if let expected = recorded.response.body {
            guard let actual = try? JSONValue(parsing: answer.text) else {
                comparison.differ("body", recorded: expected, actual: answer.text)
                return comparison.differences
            }
            var left = expected, right = actual
            if case .recordingDefect(let fields, _)? = divergence {
                for field in fields { left[field] = nil; right[field] = nil }
            }
            comparison.compareDocuments(left, right)
            identities.learn(recorded: expected, actual: actual)
            if let recordedVersion = expected[path: "metadata", "resourceVersion"]?.stringValue,
               let actualVersion = actual[path: "metadata", "resourceVersion"]?.stringValue {
                if let last = lastResourceVersion,
                   !RunIdentities.sameOrder((last.recorded, recordedVersion), (last.actual, actualVersion)) {
                    comparison.differ("resourceVersion order after \(last.recorded)", recorded: recordedVersion, actual: actualVersion)
                }
                lastResourceVersion = (recordedVersion, actualVersion)
            }
        } else if let text = recorded.response.text, text != answer.text {
            comparison.differ("body text", recorded: text, actual: answer.text)
        }
        return comparison.differences
    }
}

/// What the recorder did while a watch was open, from the cases' notes: the events it then saw come from these.
enum WatchSideActions {
    struct Action: Sendable {
        var method: String
        var path: String
        var contentType: String?
        var body: JSONValue?
    }

    static let actions: [String: [Action]] = [
        "watch-from-list-rv": [
            Action(method: "PATCH", path: "/apis/apps/v1/namespaces/transcripts/deployments/b",
                   contentType: "application/merge-patch+json", body: ["spec": ["replicas": 4]]),
            Action(method: "DELETE", path: "/apis/apps/v1/namespaces/transcripts/deployments/b", contentType: nil, body: nil),
        ],
    ]
}

/// A plain HTTP client, independent of Serin's own: the curl command, so the conformance suite does not test the
/// emulator with the code it is meant to keep honest.
enum HTTP {
    struct Answer: Sendable {
        var status: Int
        var text: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func send(_ method: String, _ url: String, token: String?, contentType: String?, body: JSONValue?) async throws -> Answer {
        var arguments = ["--silent", "--show-error", "--max-time", "30", "--request", method, "--header", "Accept: application/json",
                         "--write-out", "\n%{http_code}"]
        if let token { arguments += ["--header", "Authorization: Bearer \(token)"] }
        if let contentType { arguments += ["--header", "Content-Type: \(contentType)"] }
        if body != nil { arguments += ["--data-binary", "@-"] }
        arguments.append(url)
        let curlArguments = arguments
        let input = body.map { Data($0.serialized.utf8) }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                    process.arguments = curlArguments
                    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
                    process.standardInput = stdin
                    process.standardOutput = stdout
                    process.standardError = stderr
                    try process.run()
                    if let input { stdin.fileHandleForWriting.write(input) }
                    try stdin.fileHandleForWriting.close()
                    let output = stdout.fileHandleForReading.readDataToEndOfFile()
                    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    var text = String(decoding: output, as: UTF8.self)
                    guard process.terminationStatus == 0, let newline = text.lastIndex(of: "\n"),
                          let status = Int(text[text.index(after: newline)...]) else {
                        throw Failure(description: "curl \(method) \(url) failed: \(String(decoding: errors, as: UTF8.self))")
                    }
                    text.removeSubrange(newline...)
                    continuation.resume(returning: Answer(status: status, text: text))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
