/// Every default of the ModelDeployment spec, in one place. The decoder fills omitted fields from here, and
/// `serin validate --show-defaults` prints the result, so what a user sees is what Serin uses.
public enum SpecDefaults {
    public static let namespace = "default"
    public static let replicas = 1
    public static let port = 8080
    public static let readinessPath = "/v2/health/ready"
    public static let livenessPath = "/v2/health/live"
    public static let strategy = RolloutStrategy.canary
    public static let steps = [10, 25, 50, 100]
    public static let interval = SpecDuration.minutes(1)
    public static let maxFailedChecks = 2
    public static let maxInconclusiveChecks = 5
    public static let minRequests = 20
    public static let progressDeadline = SpecDuration.minutes(10)
    /// Serin's own router, which exports per-version request counts and latency histograms wherever it routes.
    public static let metricsSource = MetricsSource.serin
    public static let latencyQuantile = 0.99
    public static let webhookTimeout = SpecDuration.seconds(30)
    public static let prune = true
    /// The shortest interval accepted: shorter ones measure noise.
    public static let minimumInterval = SpecDuration.seconds(1)
}
