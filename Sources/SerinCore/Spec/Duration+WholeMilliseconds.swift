extension Duration {
    /// The duration in whole milliseconds, rounded down: 0 for a negative duration, and saturating at about three
    /// hundred million years, so that arithmetic on it and conversions to narrower integers cannot overflow.
    /// Timeouts handed to C libraries and to Prometheus, and the sync schedule's arithmetic, are in milliseconds.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        // A negative duration under a second has seconds 0 and negative attoseconds.
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return min(seconds, 10_000_000_000_000) * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
