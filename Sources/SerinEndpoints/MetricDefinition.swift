/// One metric Serin exposes: its Prometheus name, type, help text and label names. The names and labels are a
/// contract with dashboards and alerts, so they are written once (`SerinMetrics`'s definitions) and every
/// recording goes through them.
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    public var name: String
    public var kind: Kind
    public var help: String
    /// Label names, in the order every series of the metric carries them.
    public var labels: [String]
    /// Upper bounds of a histogram's buckets (its values are seconds); empty for other kinds.
    public var buckets: [Duration]

    public init(name: String, kind: Kind, help: String, labels: [String] = [], buckets: [Duration] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.buckets = buckets
    }
}
