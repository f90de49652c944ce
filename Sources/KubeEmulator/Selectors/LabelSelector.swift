/// A label selector as kube-apiserver parses and applies `?labelSelector=` (k8s.io/apimachinery/pkg/labels,
/// `labels.Parse`): comma-separated requirements, all of which must hold.
///
/// | Syntax | Holds when |
/// | --- | --- |
/// | `k=v`, `k==v` | the object has label `k` with value `v` |
/// | `k!=v` | label `k` is absent or differs from `v` |
/// | `k in (a,b)` | label `k` is present with one of the values |
/// | `k notin (a,b)` | label `k` is absent or has none of the values |
/// | `k` / `!k` | label `k` is present / absent |
/// | `k>n`, `k<n` | label `k` is present, is a 64-bit integer, and compares so with `n` |
///
/// Keys must be qualified names (`[prefix/]name`) and values valid label values, checked as Kubernetes checks
/// them; parse errors carry the real server's messages. The empty selector matches everything.
struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// The requirements, sorted by key as Kubernetes sorts them.
    var requirements: [Requirement]

    init(requirements: [Requirement]) {
        self.requirements = requirements.enumerated()
            .sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
            .map(\.element)
    }

    init(parsing text: String) throws(SelectorError) {
        var parser = LabelSelectorParser(text)
        self.init(requirements: try parser.parse())
    }

    /// Whether the selector restricts nothing.
    var isEmpty: Bool { requirements.isEmpty }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    /// The canonical form Kubernetes prints (`a=b,c in (d,e),!f`).
    var description: String { requirements.map(\.description).joined(separator: ",") }

    /// The operators of the label selector grammar.
    enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One requirement: a key, an operator, and the operator's values (sorted, without duplicates).
    struct Requirement: Sendable, Hashable, CustomStringConvertible {
        var key: String
        var `operator`: Operator
        var values: [String]

        init(key: String, operator: Operator, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = Array(Set(values)).sorted()
        }

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch self.operator {
            case .equals, .doubleEquals, .in:
                guard let value else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value else { return true }
                return !values.contains(value)
            case .exists:
                return value != nil
            case .doesNotExist:
                return value == nil
            case .greaterThan, .lessThan:
                guard let value, let actual = Int64(value), values.count == 1, let bound = Int64(values[0]) else {
                    return false
                }
                return self.operator == .greaterThan ? actual > bound : actual < bound
            }
        }

        var description: String {
            switch self.operator {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .in: return key + " in (" + values.joined(separator: ",") + ")"
            case .notIn: return key + " notin (" + values.joined(separator: ",") + ")"
            case .greaterThan: return key + ">" + values.joined()
            case .lessThan: return key + "<" + values.joined()
            case .equals, .doubleEquals, .notEquals: return key + self.operator.rawValue + values.joined()
            }
        }
    }
}
