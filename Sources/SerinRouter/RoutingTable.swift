import NIOCore
import SerinCore
import Synchronization

/// One upstream as the request path needs it: its address, the `Host` value to send and the counters to record
/// into, all worked out once when the routes are set rather than on every request.
final class UpstreamTarget: Sendable {
    let upstream: Upstream
    let address: UpstreamAddress
    let hostHeader: String
    /// The resolved address when the host is an IP literal (always, in the local runtime), so connecting needs
    /// no name resolution.
    let socketAddress: SocketAddress?
    let counters: VersionCounters

    init(_ upstream: Upstream, key: DeploymentKey, recorder: TrafficRecorder) {
        self.upstream = upstream
        self.address = upstream.address
        self.hostHeader = upstream.address.description
        self.socketAddress = try? SocketAddress(ipAddress: upstream.host, port: upstream.port)
        self.counters = recorder.counters(for: VersionKey(key: key, version: upstream.version))
    }

    var version: String { upstream.version }

    /// The deployment this upstream serves a version of.
    var key: DeploymentKey { counters.versionKey.key }
}

/// One model's route with its selector. Entries are immutable apart from the selector's position; a route that
/// `setRoutes` leaves unchanged keeps its entry, so the proportions stay exact across unrelated updates.
final class RouteEntry: Sendable {
    let route: ModelRoute
    let stable: UpstreamTarget?
    let canary: UpstreamTarget?
    /// One cycle of smooth weighted round-robin picks (0 for stable, 1 for canary), worked out once: the picks
    /// repeat with this period, so a request's pick is the cycle at its number. Numbering requests takes one atomic
    /// add, where running the round-robin itself would take a lock every thread contends for.
    private let cycle: [UInt8]
    private let picks = Atomic<UInt>(0)

    init(_ route: ModelRoute, recorder: TrafficRecorder) {
        self.route = route
        self.stable = route.stable.map { UpstreamTarget($0, key: route.key, recorder: recorder) }
        self.canary = route.canary.map { UpstreamTarget($0, key: route.key, recorder: recorder) }
        let weights: [Int]
        switch (route.stable, route.canary) {
        case (nil, nil): weights = []
        case (_?, nil): weights = [100, 0]
        case (nil, _?): weights = [0, 100]
        case (_?, _?): weights = [100 - route.canaryWeight, route.canaryWeight]
        }
        var selector = SmoothWeightedRoundRobin(weights: weights)
        self.cycle = (0..<selector.period).compactMap { _ in selector.next().map(UInt8.init) }
    }

    /// The upstream for the next request by the weights; nil when none is routed.
    func select() -> UpstreamTarget? {
        guard !cycle.isEmpty else { return nil }
        let number = picks.wrappingAdd(1, ordering: .relaxed).oldValue
        return cycle[Int(number % UInt(cycle.count))] == 0 ? stable : canary
    }

    /// The upstream serving `version`, whatever its weight. A version routed under its revision's name,
    /// `version@digest` (how the local runtime tells a second revision of one version apart), is reached by the plain
    /// version too when no upstream is routed under the plain version itself: once promoted, it is the version.
    func upstream(version: String) -> UpstreamTarget? {
        if let stable, stable.version == version { return stable }
        if let canary, canary.version == version { return canary }
        guard !version.contains("@") else { return nil }
        let revisionPrefix = version + "@"
        if let stable, stable.version.hasPrefix(revisionPrefix) { return stable }
        if let canary, canary.version.hasPrefix(revisionPrefix) { return canary }
        return nil
    }

    /// `v1 (stable), v2 (canary)`, or `none`.
    var routedVersionsText: String {
        let versions = [stable.map { "\($0.version) (stable)" }, canary.map { "\($0.version) (canary)" }].compactMap { $0 }
        return versions.isEmpty ? "none" : versions.joined(separator: ", ")
    }
}

/// What to do with one request.
enum RouteDecision {
    case forward(UpstreamTarget, RouteEntry)
    case unknownModel(String, known: [String])
    case noUpstream(RouteEntry)
    case versionNotRouted(RouteEntry, version: String)
}

/// Every model's route at one moment. Tables are immutable and swapped whole, so a weight change takes effect for
/// every request that starts after `setRoutes` returns and for none that started before.
final class RoutingTable: Sendable {
    let entries: [String: RouteEntry]
    let byKey: [DeploymentKey: RouteEntry]
    /// Sorted, for error messages.
    let modelNames: [String]

    static let empty = RoutingTable(entries: [:])

    private init(entries: [String: RouteEntry]) {
        self.entries = entries
        var byKey: [DeploymentKey: RouteEntry] = [:]
        for entry in entries.values { byKey[entry.route.key] = entry }
        self.byKey = byKey
        self.modelNames = entries.keys.sorted()
    }

    /// A table for `routes`, reusing `previous`'s entries for routes that did not change.
    static func build(_ routes: [ModelRoute], previous: RoutingTable, recorder: TrafficRecorder) throws(RouterError)
        -> RoutingTable
    {
        var entries: [String: RouteEntry] = [:]
        var keys: [DeploymentKey: String] = [:]
        for route in routes {
            try validate(route)
            if keys[route.key] != nil { throw .duplicateDeployment(route.key) }
            if let other = entries[route.modelName] {
                throw .duplicateModelName(route.modelName, keys: [other.route.key, route.key].sorted())
            }
            keys[route.key] = route.modelName
            if let existing = previous.entries[route.modelName], existing.route == route {
                entries[route.modelName] = existing
            } else {
                entries[route.modelName] = RouteEntry(route, recorder: recorder)
            }
        }
        return RoutingTable(entries: entries)
    }

    private static func validate(_ route: ModelRoute) throws(RouterError) {
        guard (0...100).contains(route.canaryWeight) else { throw .weightOutOfRange(route.key, weight: route.canaryWeight) }
        guard RequestPath.isValidModelName(route.modelName) else {
            throw .invalidModelName(route.key, modelName: route.modelName)
        }
        for upstream in route.upstreams {
            let printable = upstream.version.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
            guard !upstream.version.isEmpty, printable else { throw .invalidVersion(route.key, version: upstream.version) }
            // The host goes into the `Host` field of every request sent upstream, written without NIO's outbound
            // validation: no spaces or control characters, so it can never end the field early.
            let hostIsOneToken = upstream.host.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
            guard !upstream.host.isEmpty, hostIsOneToken, (1...65535).contains(upstream.port) else {
                throw .invalidUpstreamAddress(route.key, upstream)
            }
        }
        if let stable = route.stable, let canary = route.canary, stable.version == canary.version {
            throw .sameVersionTwice(route.key, version: stable.version)
        }
    }

    /// Routes one request: by `pinnedVersion` (the `X-Serin-Version` header) when given, else by the weights.
    func decide(modelName: String, pinnedVersion: String?) -> RouteDecision {
        guard let entry = entries[modelName] else { return .unknownModel(modelName, known: modelNames) }
        if let pinnedVersion {
            guard let target = entry.upstream(version: pinnedVersion) else {
                return .versionNotRouted(entry, version: pinnedVersion)
            }
            return .forward(target, entry)
        }
        guard let target = entry.select() else { return .noUpstream(entry) }
        return .forward(target, entry)
    }

    /// The routes, ordered by deployment.
    var routes: [ModelRoute] { entries.values.map(\.route).sorted { $0.key < $1.key } }

    /// Every version some route sends to, and each routed deployment's unversioned counters (its 503s while no
    /// version is ready).
    var versionKeys: Set<VersionKey> {
        Set(entries.values.flatMap { entry in
            [VersionKey(key: entry.route.key, version: "")]
                + [entry.stable, entry.canary].compactMap { $0.map { VersionKey(key: entry.route.key, version: $0.version) } }
        })
    }

    /// Every upstream address some route sends to.
    var addresses: Set<UpstreamAddress> {
        Set(entries.values.flatMap { entry in [entry.stable, entry.canary].compactMap { $0?.address } })
    }
}
