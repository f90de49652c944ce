extension Duration {
    /// Whole nanoseconds, clamped to 0...Int64.max: what swift-metrics timers and NIO's `TimeAmount` take.
    var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? 0 : .max }
        let (total, overflowTotal) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowTotal { return .max }
        return max(0, total)
    }
}
