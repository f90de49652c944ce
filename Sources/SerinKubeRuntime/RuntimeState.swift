/// What the runtime learns once `run` has started: which route kinds the cluster serves, and whether the informers'
/// caches hold their first lists. Calls that read the caches wait for that, so they never judge an empty cache as
/// "nothing deployed".
actor RuntimeState {
    private(set) var isSynced = false
    /// Plural names of the route resources served (`httproutes`, `virtualservices`).
    private(set) var servedRoutes: Set<String> = []

    func markSynced(servedRoutes: Set<String>) {
        self.servedRoutes = servedRoutes
        isSynced = true
    }

    /// Returns once the caches are synced. Polled, which costs nothing once synced, so that a caller cancelled
    /// before then (an operator shutting down while the API is unreachable) stops waiting with `CancellationError`.
    nonisolated func waitForSync() async throws {
        while !(await isSynced) {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
