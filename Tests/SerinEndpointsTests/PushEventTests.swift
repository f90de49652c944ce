import SerinEndpoints
import Testing

@Suite("PushEvent")
struct PushEventTests {
    @Test("GitHub's push payload gives the ref, the new commit and the repository")
    func github() throws {
        let event = try PushEvent.parse(json: Array(Payloads.githubPush(ref: "refs/heads/main").utf8))
        #expect(event.ref == "refs/heads/main")
        #expect(event.after == "9f3c1e0d2b7a4c5e6f8091a2b3c4d5e6f7081920")
        #expect(event.repository == "acme/models")
        #expect(event.branch == "main")
        #expect(event.moves(branch: "main"))
        #expect(!event.moves(branch: "dev"))
    }

    @Test("GitLab's push payload gives the ref, the new commit and the project path")
    func gitlab() throws {
        let event = try PushEvent.parse(json: Array(Payloads.gitlabPush(ref: "refs/heads/release").utf8))
        #expect(event.ref == "refs/heads/release")
        #expect(event.after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
        #expect(event.repository == "acme/models")
        #expect(event.moves(branch: "release"))
    }

    @Test("a bare branch name matches (generic senders); tags and other branches never do")
    func refs() {
        #expect(PushEvent(ref: "main").moves(branch: "main"))
        #expect(!PushEvent(ref: "refs/tags/main").moves(branch: "main"))
        #expect(!PushEvent(ref: "refs/heads/main-2").moves(branch: "main"))
        #expect(!PushEvent(ref: "refs/heads/feature/main").moves(branch: "main"))
        #expect(PushEvent(ref: "refs/heads/feature/x").moves(branch: "feature/x"))
        #expect(!PushEvent().moves(branch: "main"))
        #expect(PushEvent(ref: "refs/tags/v1").branch == nil)
    }

    @Test("an empty object has no fields; other bodies are refused with a reason")
    func errors() throws {
        #expect(try PushEvent.parse(json: Array("{}".utf8)) == PushEvent())
        #expect(throws: PushEvent.ParseError.notAnObject) { try PushEvent.parse(json: Array("[1]".utf8)) }
        #expect(throws: PushEvent.ParseError.fieldNotAString("ref")) { try PushEvent.parse(json: Array(#"{"ref": 3}"#.utf8)) }
        #expect(throws: PushEvent.ParseError.self) { try PushEvent.parse(json: Array("payload=%7B%7D".utf8)) }
        #expect(throws: PushEvent.ParseError.self) { try PushEvent.parse(json: []) }
    }
}
