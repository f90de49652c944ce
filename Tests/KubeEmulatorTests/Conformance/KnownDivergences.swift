/// Every divergence from kube-apiserver that the conformance replays allow, each with its reason, in one place (the
/// transcript cases by name, kubectl's requests by path prefix). A listed case is still replayed and compared in
/// everything its entry does not name. Values that differ per run (uids, resourceVersions, timestamps,
/// managedFields, generated names) are not divergences: `ConformanceComparison` normalises them by rule.
enum KnownDivergence: Sendable {
    /// The recording itself is wrong in the named fields; they are not compared.
    case recordingDefect(fields: [String], reason: String)
    /// The emulator serves a subset of the real server's groups or resources (and groups the real server had no CRDs
    /// for); every entry it does serve must read as the real server's.
    case discoverySubset(reason: String)
    /// The same fields with other values; only the field names are compared.
    case otherValues(reason: String)
    /// Another status code; the body is not compared.
    case otherStatus(Int, reason: String)
    /// Legacy discovery (APIVersions, APIGroupList) where the real server answered kubectl's request for aggregated
    /// discovery (APIGroupDiscoveryList).
    case legacyDiscovery(reason: String)

    static let transcriptCases: [String: KnownDivergence] = [
        "version": .otherValues(reason: "the emulator reports the Kubernetes release Serin targets (1.32), not the recorder's build"),
        "discovery-groups": .discoverySubset(reason: "the emulator serves the groups Serin and kubectl use, plus the Gateway API and Istio groups (a real cluster gets them from CRDs) whose routes Serin's Kubernetes runtime writes"),
        "discovery-resources /api/v1": .discoverySubset(reason: "the emulator serves the core resources Serin and kubectl use, without nodes, volumes, quotas or pod subresources such as exec and log"),
        "discovery-resources /apis/apps/v1": .discoverySubset(reason: "the emulator serves Deployments and ReplicaSets (without its scale subresource), without DaemonSets, StatefulSets or ControllerRevisions"),
        "deployment-get": .recordingDefect(fields: ["spec"], reason: "the recorder edited this response's object to build the next PUT, so it shows image example/model:2 at generation 1, a state the server never stored"),
        "lease-create": .recordingDefect(fields: ["spec"], reason: "the recorder edited this response's object to build the takeover request, so it shows holder b_2 though the request created a_1"),
    ]

    static let kubectlRequests: [String: KnownDivergence] = [
        "/api?": .legacyDiscovery(reason: "the emulator serves legacy discovery only; kubectl asks for aggregated discovery and falls back to legacy, which it then reads group by group"),
        "/apis?": .legacyDiscovery(reason: "the emulator serves legacy discovery only; kubectl asks for aggregated discovery and falls back to legacy, which it then reads group by group"),
        "/openapi/v2": .otherStatus(404, reason: "the emulator serves OpenAPI v3 only; the recorded server answered 503 here, and kubectl falls back from either"),
    ]

    /// The entry for one of kubectl's requests, by the longest listed prefix of its path.
    static func forKubectl(path: String) -> KnownDivergence? {
        kubectlRequests.filter { path.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
    }
}
