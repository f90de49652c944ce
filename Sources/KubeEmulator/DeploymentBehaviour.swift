/// What the simulated deployment controller makes of one Deployment's rollouts.
public enum DeploymentBehaviour: Sendable, Equatable {
    /// Every replica becomes available `deploymentReadyAfter` after a spec change (the default).
    case becomesReady
    /// The new replicas never become ready: `kubectl rollout status` waits for ever.
    case neverReady
    /// After `deploymentReadyAfter`, Progressing turns False with reason ProgressDeadlineExceeded.
    case exceedsProgressDeadline
}
