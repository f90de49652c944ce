/// What the router has seen of one model version since it started: the numbers behind the
/// `serin_router_requests_total` and `serin_router_request_duration_seconds` series, read directly, so gates in
/// local mode need no Prometheus.
///
/// Counts only grow; a gate judging a window takes one snapshot at its start and `since(_:)` at its end.
public struct VersionTraffic: Sendable, Hashable {
    /// Answers by HTTP status code: the upstream's, or the router's own 502 (upstream unreachable or failed
    /// mid-answer) and 503 (no upstream routed), and 499 when the client went away before an answer.
    public var responses: [Int: Int]
    /// Request durations, from the request head arriving to the last byte of the answer written.
    public var latency: LatencyHistogram
    /// Requests started and not yet answered, now.
    public var inFlight: Int

    public init(responses: [Int: Int] = [:], latency: LatencyHistogram = LatencyHistogram(), inFlight: Int = 0) {
        self.responses = responses
        self.latency = latency
        self.inFlight = inFlight
    }

    /// All finished requests.
    public var requests: Int { responses.values.reduce(0, +) }

    /// Server errors: 5xx answers, the router's 502 and 503 included, as a success-rate gate counts them.
    public var errors: Int { responses.filter { $0.key >= 500 && $0.key < 600 }.values.reduce(0, +) }

    /// The share of finished requests that were not server errors; nil with no requests.
    public var successRate: Double? {
        let requests = requests
        return requests > 0 ? Double(requests - errors) / Double(requests) : nil
    }

    /// The traffic between `earlier` (a snapshot of the same version taken before) and this one; `inFlight` stays
    /// the current value.
    public func since(_ earlier: VersionTraffic) -> VersionTraffic {
        var responses: [Int: Int] = [:]
        for (code, count) in self.responses {
            let difference = count - (earlier.responses[code] ?? 0)
            if difference > 0 { responses[code] = difference }
        }
        return VersionTraffic(responses: responses, latency: latency.since(earlier.latency), inFlight: inFlight)
    }
}
