import PropertyBased
import SerinCore
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test func parsesKubernetesObjects() throws {
        let value = try JSONValue(parsing: #"{"kind":"Deployment","metadata":{"name":"iris","generation":3},"spec":{"replicas":2,"paused":false,"ratio":0.5},"items":[],"x":null}"#)
        #expect(value[path: "metadata", "name"]?.stringValue == "iris")
        #expect(value[path: "metadata", "generation"] == .integer(3))
        #expect(value[path: "spec", "ratio"] == .double(0.5))
        #expect(value["x"] == .null)
        #expect(value["items"] == .array([]))
    }

    @Test func writesSortedCompactJSON() {
        let value: JSONValue = ["b": [1, 2.5, "x"], "a": ["nested": nil, "flag": true]]
        #expect(value.serialized == #"{"a":{"flag":true,"nested":null},"b":[1,2.5,"x"]}"#)
    }

    @Test func escapesRoundTrip() throws {
        let text = "quote \" backslash \\ newline \n tab \t control \u{1} emoji 🚀 é"
        let value = JSONValue.string(text)
        #expect(try JSONValue(parsing: value.serialized) == value)
        #expect(try JSONValue(parsing: #""\ud83d\ude80 \u00e9 \/""#) == .string("🚀 é /"))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\"}", "tru", "\"unterminated", "01x", "1 2", "{\"a\":1,}", "\"\u{1}\""])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func refusesHostileNesting() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: "[", count: 100_000)) }
    }

    @Test func integersStayIntegers() throws {
        #expect(try JSONValue(parsing: "9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try JSONValue(parsing: "-12") == .integer(-12))
        #expect(try JSONValue(parsing: "1e3") == .double(1000))
    }

    @Test func anyValueSurvivesWritingAndReading() async {
        let leaf = Gen.oneOf(
            Gen.int(in: -1_000_000...1_000_000).map { JSONValue.integer(Int64($0)) },
            Gen.letterOrNumber.string(of: 0...8).map { JSONValue.string($0) },
            Gen.bool.map { JSONValue.bool($0) })
        let tree = leaf.array(of: 0...5).map { items -> JSONValue in
            .object(Dictionary(items.enumerated().map { ("k\($0.offset)", JSONValue.array([$0.element, .null])) }, uniquingKeysWith: { a, _ in a }))
        }
        await propertyCheck(count: 200, input: tree) { value in
            #expect((try? JSONValue(parsing: value.serialized)) == value)
        }
    }
}
