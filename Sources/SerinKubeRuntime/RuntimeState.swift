/// What the runtime learns once `run` has started: which route kinds the cluster serves, and whether the informers'
/// caches hold their first lists. Calls that read the caches wait for that, so they never judge an empty cache as
/// "nothing deployed".
actor RuntimeState {
    private var synced = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Plural names of the route resources served (`httproutes`, `virtualservices`).
    private(set) var servedRoutes: Set<String> = []

    func markSynced(servedRoutes: Set<String>) {
        self.servedRoutes = servedRoutes
        synced = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    func waitForSync() async {
        if synced { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
