import Logging

/// What every connection handler shares: the configuration, one receiver per webhook endpoint, the metrics and
/// the two calls into the operator.
final class EndpointsCore: Sendable {
    let configuration: EndpointsConfiguration
    let receivers: [WebhookEndpoint: WebhookReceiver]
    let metrics: SerinMetrics
    let syncNow: @Sendable () -> Void
    let readiness: @Sendable () -> Readiness
    let logger: Logger

    init(configuration: EndpointsConfiguration, secrets: [WebhookEndpoint: WebhookSecret], metrics: SerinMetrics,
         syncNow: @escaping @Sendable () -> Void, readiness: @escaping @Sendable () -> Readiness, logger: Logger)
    {
        self.configuration = configuration
        var receivers: [WebhookEndpoint: WebhookReceiver] = [:]
        for endpoint in WebhookEndpoint.allCases {
            receivers[endpoint] = WebhookReceiver(endpoint: endpoint, secret: secrets[endpoint], branch: configuration.branch)
        }
        self.receivers = receivers
        self.metrics = metrics
        self.syncNow = syncNow
        self.readiness = readiness
        self.logger = logger
    }

    func receiver(_ endpoint: WebhookEndpoint) -> WebhookReceiver {
        receivers[endpoint] ?? WebhookReceiver(endpoint: endpoint, secret: nil, branch: configuration.branch)
    }
}
