import SerinCore

/// The transitions logged but not yet recorded, one per model. A transition whose actions fail is decided again on
/// every retry; the terminal should read it once, followed by each failure, not once per retry. Shared by the copies
/// of a `ModelReconciler`, which the loop's workers run at once for different models.
actor TransitionAnnouncements {
    private var pending: [DeploymentKey: String] = [:]

    /// Whether `line` is news for `key`: not the line announced for it since its last recorded transition. Records
    /// it as announced.
    func isNews(_ line: String, for key: DeploymentKey) -> Bool {
        guard pending[key] != line else { return false }
        pending[key] = line
        return true
    }

    /// The model's announced transition is in the ledger: the next one is news whatever it says.
    func recorded(_ key: DeploymentKey) {
        pending[key] = nil
    }
}
