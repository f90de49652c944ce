import Testing
@testable import KubeEmulator
import SerinCore

private func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

/// JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902, pointers per RFC 6901), case by case from the RFCs'
/// rules and their appendix examples, plus the requests kubectl and the recorded kube-apiserver exchange.
@Suite struct PatchTests {
    // MARK: RFC 7386

    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        (#"{"a":1}"#, #"{"b":null}"#, #"{"a":1}"#),
        (#"{"metadata":{"finalizers":["a","b"]}}"#, #"{"metadata":{"finalizers":["b"]}}"#, #"{"metadata":{"finalizers":["b"]}}"#),
    ])
    func mergePatchFollowsRFC7386(target: String, patch: String, expected: String) throws {
        #expect(JSONMergePatch.apply(try json(patch), to: try json(target)) == (try json(expected)))
    }

    @Test func mergePatchOfALabelKeepsTheRestOfTheDeployment() throws {
        let deployment = try json(#"{"metadata":{"name":"a","labels":{"app":"a","tier":"x"}},"spec":{"replicas":2}}"#)
        let patched = JSONMergePatch.apply(try json(#"{"metadata":{"labels":{"extra":"1"}}}"#), to: deployment)
        #expect(patched == (try json(#"{"metadata":{"name":"a","labels":{"app":"a","extra":"1","tier":"x"}},"spec":{"replicas":2}}"#)))
    }

    // MARK: RFC 6902 appendix A

    @Test(arguments: [
        // A.1 adding an object member
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        // A.2 adding an array element
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        // A.3 removing an object member
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        // A.4 removing an array element
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        // A.5 replacing a value
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        // A.6 moving a value
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
         #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        // A.7 moving an array element
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
         #"{"foo":["all","cows","eat","grass"]}"#),
        // A.8 testing a value: success
        (#"{"baz":"qux","foo":["a",2,"c"]}"#,
         #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        // A.10 adding a nested member object
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
         #"{"foo":"bar","child":{"grandchild":{}}}"#),
        // A.11 ignoring unrecognized elements
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        // A.14 ~ escape ordering
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        // A.16 adding an array value
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
    ])
    func jsonPatchFollowsRFC6902AppendixA(document: String, operations: String, expected: String) throws {
        #expect(try JSONPatch.apply(try json(operations), to: try json(document)) == (try json(expected)))
    }

    @Test(arguments: [
        // A.9 testing a value: error
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, "testing value /baz failed: test failed"),
        // A.12 adding to a nonexistent target
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#,
         #"add operation does not apply: doc is missing path: "/baz/bat""#),
        // A.15 comparing strings and numbers
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#, "testing value /~01 failed: test failed"),
    ])
    func jsonPatchFailuresOfRFC6902AppendixA(document: String, operations: String, message: String) throws {
        #expect(throws: PatchError(message: message)) {
            try JSONPatch.apply(try json(operations), to: try json(document))
        }
    }

    // MARK: Operation rules

    @Test(arguments: [
        // add replaces an existing member, and the empty path replaces the document
        (#"{"a":1}"#, #"[{"op":"add","path":"/a","value":2}]"#, #"{"a":2}"#),
        (#"{"a":1}"#, #"[{"op":"add","path":"","value":[1]}]"#, #"[1]"#),
        // add at index == count appends; null is a value
        (#"{"a":[1]}"#, #"[{"op":"add","path":"/a/1","value":null}]"#, #"{"a":[1,null]}"#),
        // replace of the whole document, of an array element
        (#"{"a":1}"#, #"[{"op":"replace","path":"","value":{"b":2}}]"#, #"{"b":2}"#),
        (#"{"a":[1,2,3]}"#, #"[{"op":"replace","path":"/a/1","value":9}]"#, #"{"a":[1,9,3]}"#),
        // copy leaves the source
        (#"{"a":{"b":1}}"#, #"[{"op":"copy","from":"/a","path":"/c"}]"#, #"{"a":{"b":1},"c":{"b":1}}"#),
        // move onto itself changes nothing
        (#"{"a":1}"#, #"[{"op":"move","from":"/a","path":"/a"}]"#, #"{"a":1}"#),
        // test compares numbers by value and objects regardless of member order
        (#"{"a":2.0,"b":{"x":1,"y":2}}"#, #"[{"op":"test","path":"/a","value":2},{"op":"test","path":"/b","value":{"y":2,"x":1}}]"#,
         #"{"a":2.0,"b":{"x":1,"y":2}}"#),
        // operations see the result of the previous ones
        (#"{}"#, #"[{"op":"add","path":"/a","value":[]},{"op":"add","path":"/a/-","value":1},{"op":"add","path":"/a/0","value":0}]"#,
         #"{"a":[0,1]}"#),
        // members named with escapes
        (#"{"a/b":{"m~n":1}}"#, #"[{"op":"replace","path":"/a~1b/m~0n","value":2}]"#, #"{"a/b":{"m~n":2}}"#),
        // an empty operation list is no change
        (#"{"a":1}"#, #"[]"#, #"{"a":1}"#),
    ])
    func jsonPatchOperations(document: String, operations: String, expected: String) throws {
        #expect(try JSONPatch.apply(try json(operations), to: try json(document)) == (try json(expected)))
    }

    @Test(arguments: [
        (#"{"a":1}"#, #"[{"op":"remove","path":"/b"}]"#, #"remove operation does not apply: doc is missing path: "/b""#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"/b","value":1}]"#, #"replace operation does not apply: doc is missing path: "/b""#),
        (#"{"a":[1]}"#, #"[{"op":"remove","path":"/a/1"}]"#, #"remove operation does not apply: doc is missing path: "/a/1""#),
        (#"{"a":[1]}"#, #"[{"op":"remove","path":"/a/-"}]"#, #"remove operation does not apply: doc is missing path: "/a/-""#),
        (#"{"a":[1,2]}"#, #"[{"op":"remove","path":"/a/01"}]"#, #"remove operation does not apply: doc is missing path: "/a/01""#),
        (#"{"a":[1]}"#, #"[{"op":"add","path":"/a/2","value":1}]"#,
         #"add operation does not apply: index "2" of "/a/2" is out of bounds for an array of 1"#),
        (#"{"a":"x"}"#, #"[{"op":"add","path":"/a/b","value":1}]"#, #"add operation does not apply: doc is missing path: "/a/b""#),
        (#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#,
         #"move operation cannot move "/a" into its own child "/a/b/c""#),
        (#"{"a":1}"#, #"[{"op":"copy","from":"/x","path":"/y"}]"#, #"copy operation does not apply: doc is missing path: "/x""#),
        (#"{"a":1}"#, #"[{"op":"test","path":"/x","value":null}]"#, #"test operation does not apply: doc is missing path: "/x""#),
        (#"{"a":1}"#, #"[{"op":"add","path":"/b"}]"#, #"add operation has no "value""#),
        (#"{"a":1}"#, #"[{"op":"move","path":"/b"}]"#, #"move operation has no "from" string"#),
        (#"{"a":1}"#, #"[{"op":"remove"}]"#, #"remove operation has no "path" string"#),
        (#"{"a":1}"#, #"[{"path":"/a"}]"#, #"operation 0 has no "op" string"#),
        (#"{"a":1}"#, #"[{"op":"frobnicate","path":"/a"}]"#, "Unexpected kind: frobnicate"),
        (#"{"a":1}"#, #"[1]"#, "operation 0 is not a JSON object"),
        (#"{"a":1}"#, #"{"op":"add"}"#, "a JSON patch must be an array of operations"),
        (#"{"a":1}"#, #"[{"op":"remove","path":"a"}]"#, #"JSON pointer "a" must be empty or start with '/'"#),
        (#"{"a":1}"#, #"[{"op":"remove","path":"/~2"}]"#, #"JSON pointer "/~2" has an invalid escape: '~' must be followed by '0' or '1'"#),
        (#"{"a":1}"#, #"[{"op":"remove","path":""}]"#, "remove operation does not apply: the whole document cannot be removed"),
    ])
    func jsonPatchRejects(document: String, operations: String, message: String) throws {
        #expect(throws: PatchError(message: message)) {
            try JSONPatch.apply(try json(operations), to: try json(document))
        }
    }

    @Test func aFailedOperationLeavesNothingApplied() throws {
        let document = try json(#"{"spec":{"replicas":2}}"#)
        let operations = try json(#"[{"op":"replace","path":"/spec/replicas","value":3},{"op":"test","path":"/spec/replicas","value":99}]"#)
        #expect(throws: PatchError(message: "testing value /spec/replicas failed: test failed")) {
            try JSONPatch.apply(operations, to: document)
        }
    }

    @Test func moreThanTenThousandOperationsAreRefused() throws {
        let operation = try json(#"{"op":"test","path":"","value":{}}"#)
        let operations = JSONValue.array(Array(repeating: operation, count: JSONPatch.maximumOperations + 1))
        #expect(throws: PatchError(message: "The allowed maximum operations in a JSON patch is 10000, got 10001")) {
            try JSONPatch.apply(operations, to: .object([:]))
        }
        let allowed = JSONValue.array(Array(repeating: operation, count: JSONPatch.maximumOperations))
        #expect(try JSONPatch.apply(allowed, to: .object([:])) == .object([:]))
    }

    @Test func kubectlPatchTypeJSONSetsReplicas() throws {
        let deployment = try json(#"{"kind":"Deployment","spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"i:1"}]}}}}"#)
        let patched = try JSONPatch.apply(try json(#"[{"op":"replace","path":"/spec/replicas","value":1}]"#), to: deployment)
        #expect(patched["spec"]?["replicas"] == .integer(1))
        let weight = try JSONPatch.apply(
            try json(#"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"i:2"}]"#), to: deployment)
        #expect(weight[path: "spec", "template", "spec", "containers"] == (try json(#"[{"name":"c","image":"i:2"}]"#)))
    }

    // MARK: RFC 6901 section 5

    @Test(arguments: [
        ("", #"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}"#),
        ("/foo", #"["bar","baz"]"#),
        ("/foo/0", #""bar""#),
        ("/", "0"),
        ("/a~1b", "1"),
        ("/c%d", "2"),
        ("/e^f", "3"),
        ("/g|h", "4"),
        (#"/i\j"#, "5"),
        (#"/k"l"#, "6"),
        ("/ ", "7"),
        ("/m~0n", "8"),
    ])
    func pointersResolveAsRFC6901Section5(pointer: String, expected: String) throws {
        let document = try json(#"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}"#)
        #expect(try JSONPatch.resolve(try JSONPointer(parsing: pointer), in: document) == (try json(expected)))
    }

    @Test func pointerTokensDecodeTildeOneBeforeTildeZero() throws {
        #expect(try JSONPointer(parsing: "/~01").tokens == ["~1"])
        #expect(try JSONPointer(parsing: "/a//b").tokens == ["a", "", "b"])
        #expect(try JSONPointer(parsing: "").tokens == [])
        #expect(JSONPointer.arrayIndex("0") == 0)
        #expect(JSONPointer.arrayIndex("10") == 10)
        #expect(JSONPointer.arrayIndex("01") == nil)
        #expect(JSONPointer.arrayIndex("-") == nil)
        #expect(JSONPointer.arrayIndex("-1") == nil)
    }
}
