/// A deliberate departure from kube-apiserver's behaviour, for one use only: showing that the conformance suite
/// (Tests/KubeEmulatorTests/Conformance) fails when the emulator stops behaving like the real server. A suite that
/// cannot fail proves nothing, and mutating recorded documents does not show that the replay itself would notice.
///
/// Unlike `EmulatorFaults` (trouble a correct server also causes: latency, 429, 500, dropped watches), each of these
/// is a bug. They are `package`, not `public`, so only this package's tests can switch one on; nothing else should.
package enum ConformanceFault: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An update whose resourceVersion is stale is stored and answered 200, instead of refused with 409 Conflict.
    case acceptsStaleUpdates
    /// A Deployment keeps its generation when only its annotations change. The real server bumps it
    /// (pkg/registry/apps/deployment/strategy.go compares spec and annotations; the recording shows 2 → 3).
    case keepsGenerationOnDeploymentAnnotationChange
    /// DELETE removes an object with finalizers at once, instead of keeping it with a deletionTimestamp.
    case ignoresFinalizers
    /// A watch without a resourceVersion sends no synthetic ADDED event for the objects that already exist.
    case omitsInitialWatchEvents

    package var description: String {
        switch self {
        case .acceptsStaleUpdates: "accepts stale updates"
        case .keepsGenerationOnDeploymentAnnotationChange: "keeps generation on a Deployment annotation change"
        case .ignoresFinalizers: "ignores finalizers"
        case .omitsInitialWatchEvents: "omits a watch's initial ADDED events"
        }
    }
}
