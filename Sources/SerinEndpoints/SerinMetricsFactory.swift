import CoreMetrics
import Prometheus

/// A swift-metrics factory over one Prometheus registry that gives Serin's metrics their help text and buckets.
///
/// swift-prometheus's own factory registers everything without help, and `promtool check metrics` rejects a
/// metric without one; this factory looks each label up in `SerinMetrics.definitions` first. Labels it does not
/// know (other libraries' metrics, once `serin run` bootstraps `MetricsSystem` with this factory) go to the plain
/// Prometheus factory on the same registry, so they are exposed too.
public struct SerinMetricsFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry
    private let definitions: [String: MetricDefinition]
    private let plain: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry, definitions: [MetricDefinition] = SerinMetrics.definitions) {
        self.registry = registry
        self.definitions = Dictionary(definitions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.plain = PrometheusMetricsFactory(registry: registry)
    }

    private func descriptor(_ definition: MetricDefinition) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: definition.name, unitName: "", helpText: definition.help)
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let definition = definitions[label] else { return plain.makeCounter(label: label, dimensions: dimensions) }
        return registry.makeCounter(descriptor: descriptor(definition), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let definition = definitions[label] else {
            return plain.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: descriptor(definition), labels: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let definition = definitions[label] else { return plain.makeMeter(label: label, dimensions: dimensions) }
        return registry.makeGauge(descriptor: descriptor(definition), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let definition = definitions[label], !aggregate else {
            return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return registry.makeGauge(descriptor: descriptor(definition), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let definition = definitions[label], !definition.buckets.isEmpty else {
            return plain.makeTimer(label: label, dimensions: dimensions)
        }
        return registry.makeDurationHistogram(descriptor: descriptor(definition), labels: dimensions,
                                              buckets: definition.buckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        plain.destroyFloatingPointCounter(handler)
    }
    public func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    public func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}
