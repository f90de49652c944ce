/// Smooth weighted round-robin, as nginx balances its upstreams: deterministic, so a 10% canary gets exactly 10 of
/// every 100 requests and they are spread evenly (every tenth request) rather than bunched.
///
/// Random selection would give 10% only on average: over the 100 requests a gate may see, a canary meant to take 10
/// could take 4 or 17, and the gate would judge it on the wrong amount of evidence.
///
/// Each pick adds every peer's weight to its running score, takes the peer with the highest score (the first one on
/// a tie) and subtracts the total weight from the winner's score. Over any run of `total` consecutive picks each
/// peer is picked exactly `weight` times.
struct SmoothWeightedRoundRobin: Sendable {
    private let weights: [Int]
    private let total: Int
    private var scores: [Int]

    /// Weights below zero count as zero; peers with weight zero are never picked.
    init(weights: [Int]) {
        self.weights = weights.map { max(0, $0) }
        self.total = self.weights.reduce(0, +)
        self.scores = Array(repeating: 0, count: weights.count)
    }

    /// How many picks make one cycle: after `period` picks every score is back at zero, so the picks repeat from
    /// there, which lets a router precompute one cycle and share it between threads.
    var period: Int { total }

    /// The index of the next peer, or nil when every weight is zero.
    mutating func next() -> Int? {
        guard total > 0 else { return nil }
        var best = -1
        for index in weights.indices where weights[index] > 0 {
            scores[index] += weights[index]
            if best < 0 || scores[index] > scores[best] { best = index }
        }
        scores[best] -= total
        return best
    }
}
