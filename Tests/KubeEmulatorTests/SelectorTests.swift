import Testing
@testable import KubeEmulator

private let qualifiedNameRule = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
private let labelValueRule = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
private let subdomainRule = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

/// Label selectors (k8s.io/apimachinery/pkg/labels) and field selectors (pkg/fields): grammar, matching, and the
/// real server's error messages.
@Suite struct SelectorTests {
    // MARK: Label selectors: matching

    @Test(arguments: [
        ("", [String: String](), true),
        ("", ["app": "web"], true),
        ("app=web", ["app": "web"], true),
        ("app=web", ["app": "db"], false),
        ("app=web", [:], false),
        ("app==web", ["app": "web"], true),
        ("app!=web", [:], true),
        ("app!=web", ["app": "web"], false),
        ("app!=web", ["app": "db"], true),
        ("tier in (x,y)", ["tier": "y"], true),
        ("tier in (x,y)", ["tier": "z"], false),
        ("tier in (x,y)", [:], false),
        ("tier notin (x,y)", [:], true),
        ("tier notin (x,y)", ["tier": "x"], false),
        ("tier notin (x,y)", ["tier": "z"], true),
        ("tier", ["tier": ""], true),
        ("tier", [:], false),
        ("!tier", [:], true),
        ("!tier", ["tier": "x"], false),
        ("replicas>2", ["replicas": "3"], true),
        ("replicas>2", ["replicas": "2"], false),
        ("replicas>2", ["replicas": "three"], false),
        ("replicas>2", [:], false),
        ("replicas<2", ["replicas": "-1"], true),
        ("replicas<2", ["replicas": "2"], false),
        ("app=web,tier in (x)", ["app": "web", "tier": "x"], true),
        ("app=web,tier in (x)", ["app": "web", "tier": "y"], false),
        ("  app = web ,\t!tier ", ["app": "web"], true),
        ("app=", ["app": ""], true),
        ("app=", [:], false),
        ("app=,tier", ["app": "", "tier": "x"], true),
        ("k in ()", ["k": ""], true),
        ("k in (a,,b)", ["k": ""], true),
        ("k in (,a)", ["k": ""], true),
        ("k in (a,)", ["k": ""], true),
        ("k in (a)", ["k": ""], false),
        ("example.com/role=db", ["example.com/role": "db"], true),
        ("in in (in,notin)", ["in": "notin"], true),
        ("notin notin (in)", ["notin": "x"], true),
        ("a.b_c-d=E.f_g-h", ["a.b_c-d": "E.f_g-h"], true),
    ])
    func labelSelectorMatches(selector: String, labels: [String: String], expected: Bool) throws {
        #expect(try LabelSelector(parsing: selector).matches(labels) == expected)
    }

    @Test func labelSelectorParsesIntoSortedRequirements() throws {
        let selector = try LabelSelector(parsing: "tier in (y,x,y),!gone,app=web,n>3,ok")
        #expect(selector.requirements == [
            .init(key: "app", operator: .equals, values: ["web"]),
            .init(key: "gone", operator: .doesNotExist),
            .init(key: "n", operator: .greaterThan, values: ["3"]),
            .init(key: "ok", operator: .exists),
            .init(key: "tier", operator: .in, values: ["x", "y"]),
        ])
        #expect(selector.description == "app=web,!gone,n>3,ok,tier in (x,y)")
        #expect(try LabelSelector(parsing: "").isEmpty)
        #expect(try LabelSelector(parsing: "  ").isEmpty)
    }

    // MARK: Label selectors: errors

    @Test(arguments: [
        // Recorded from kube-apiserver (transcripts.json, list-bad-label-selector).
        ("tier in x", "unable to parse requirement: found 'x' expected: '('"),
        ("tier in", "unable to parse requirement: found '' expected: '('"),
        ("tier in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("tier in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
        ("tier in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("tier in (,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"),
        ("x>=1", "unable to parse requirement: found '=', expected: identifier"),
        ("!=x", "found '!=', expected: !, identifier, or 'end of string'"),
        ("x,", "found '', expected: identifier after ','"),
        ("x,,y", "found ',', expected: identifier after ','"),
        ("x=a b", "found 'b', expected: ',' or 'end of string'"),
        ("!x=y", "found '=', expected: ',' or 'end of string'"),
        ("=x", "found '=', expected: !, identifier, or 'end of string'"),
        (",x", "found ',', expected: !, identifier, or 'end of string'"),
        ("x>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ("app:monolith", "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": name part " + qualifiedNameRule),
        ("*bar=x", "unable to parse requirement: <nil>: Invalid value: \"*bar\": name part " + qualifiedNameRule),
        ("a/b/c=d", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name " + qualifiedNameRule
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
        ("app.kubernetes_io/name=x", "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix part " + subdomainRule),
        ("/name", "unable to parse requirement: <nil>: Invalid value: \"/name\": prefix part must be non-empty"),
        ("example.com/", "unable to parse requirement: <nil>: Invalid value: \"example.com/\": name part must be non-empty; name part " + qualifiedNameRule),
        (String(repeating: "k", count: 64), "unable to parse requirement: <nil>: Invalid value: \"" + String(repeating: "k", count: 64)
            + "\": name part must be no more than 63 characters"),
        ("x=-a", "unable to parse requirement: values[0][x]: Invalid value: \"-a\": " + labelValueRule),
        ("x in (ok,b@d)", "unable to parse requirement: values[0][x]: Invalid value: \"b@d\": " + labelValueRule),
        ("x=" + String(repeating: "v", count: 64), "unable to parse requirement: values[0][x]: Invalid value: \""
            + String(repeating: "v", count: 64) + "\": must be no more than 63 characters"),
        ("x>-1", "unable to parse requirement: values[0][x]: Invalid value: \"-1\": " + labelValueRule),
        ("x>y,", "unable to parse requirement: values[0]: Invalid value: \"y\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ("x in (a@,b@)", "unable to parse requirement: [values[0][x]: Invalid value: \"a@\": " + labelValueRule
            + ", values[1][x]: Invalid value: \"b@\": " + labelValueRule + "]"),
    ])
    func labelSelectorErrors(selector: String, message: String) {
        #expect(throws: SelectorError(message: message)) { try LabelSelector(parsing: selector) }
    }

    // MARK: Field selectors

    @Test(arguments: [
        ("", [String: String](), true),
        ("metadata.name=b", ["metadata.name": "b"], true),
        ("metadata.name=b", ["metadata.name": "a"], false),
        ("metadata.name==b", ["metadata.name": "b"], true),
        ("metadata.name!=b", ["metadata.name": "a"], true),
        ("metadata.name!=b", ["metadata.name": "b"], false),
        ("spec.nodeName=", [:], true),
        ("spec.nodeName=", ["spec.nodeName": "n1"], false),
        ("status.phase!=Running", [:], true),
        ("metadata.name=a,metadata.namespace=ns", ["metadata.name": "a", "metadata.namespace": "ns"], true),
        ("metadata.name=a,metadata.namespace=ns", ["metadata.name": "a", "metadata.namespace": "other"], false),
        ("metadata.name=a\\,b", ["metadata.name": "a,b"], true),
        ("metadata.name=a\\=b\\\\", ["metadata.name": "a=b\\"], true),
        ("metadata.name=!x", ["metadata.name": "!x"], true),
        ("metadata.name=a,,", ["metadata.name": "a"], true),
    ])
    func fieldSelectorMatches(selector: String, fields: [String: String], expected: Bool) throws {
        #expect(try FieldSelector(parsing: selector).matches(fields) == expected)
    }

    @Test func fieldSelectorNamesItsFields() throws {
        #expect(try FieldSelector(parsing: "spec.replicas=1").fieldNames == ["spec.replicas"])
        #expect(try FieldSelector(parsing: "metadata.namespace=b,metadata.name=a,metadata.name!=c").fieldNames
            == ["metadata.name", "metadata.namespace"])
        #expect(try FieldSelector(parsing: "").fieldNames == [])
        let selector = try FieldSelector(parsing: "metadata.name==a\\,b,status.phase!=Running")
        #expect(selector.terms == [
            .init(field: "metadata.name", isNegated: false, value: "a,b"),
            .init(field: "status.phase", isNegated: true, value: "Running"),
        ])
        #expect(selector.description == "metadata.name=a\\,b,status.phase!=Running")
    }

    @Test(arguments: [
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        ("metadata.name=a,b", "invalid selector: 'metadata.name=a,b'; can't understand 'b'"),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        ("metadata.name!==x", "invalid field selector: unescaped character in value: 61"),
        ("metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
    ])
    func fieldSelectorErrors(selector: String, message: String) {
        #expect(throws: SelectorError(message: message)) { try FieldSelector(parsing: selector) }
    }
}
