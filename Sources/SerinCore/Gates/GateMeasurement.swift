/// What a gate adapter measured for one check, before any judgement: the raw evidence `GateVerdict` turns into a
/// `GateResult`. Every field is optional because evidence goes missing in many ways, and each way is reported.
public struct GateMeasurement: Sendable, Hashable {
    /// The canary's value: a success rate (0 to 1), a latency in milliseconds, or a prometheus gate's query result.
    /// Nil when there was no data; NaN and infinities are kept as measured, and judged inconclusive.
    public var value: Double?
    /// Requests the canary received over the interval; nil when there was no data (or the gate does not count them).
    public var requests: Double?
    /// The stable version's value over the same interval, for relative bounds.
    public var stableValue: Double?
    /// Requests the stable version received over the same interval.
    public var stableRequests: Double?
    /// The status a webhook answered with.
    public var httpStatus: Int?
    /// Why no measurement could be made (metrics unreachable, a query refused, a webhook that never answered), in
    /// words that say what to do. Set, it makes the check inconclusive, whatever else is here.
    public var problem: String?
    /// The query that produced `value`, recorded with the result so a verdict can be checked by hand.
    public var query: String?
    /// Anything else the adapter heard, such as the start of a webhook's answer.
    public var detail: String?

    public init(value: Double? = nil, requests: Double? = nil, stableValue: Double? = nil, stableRequests: Double? = nil,
                httpStatus: Int? = nil, problem: String? = nil, query: String? = nil, detail: String? = nil) {
        self.value = value
        self.requests = requests
        self.stableValue = stableValue
        self.stableRequests = stableRequests
        self.httpStatus = httpStatus
        self.problem = problem
        self.query = query
        self.detail = detail
    }
}
