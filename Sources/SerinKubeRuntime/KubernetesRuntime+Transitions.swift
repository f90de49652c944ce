import SerinCore

extension KubernetesRuntime {
    /// Writes each rollout transition as an Event on the model's stable Service, so `kubectl describe service <name>`
    /// and `kubectl get events` show the rollout beside what the cluster did: reason `Rollout<Phase>`, the ledger's
    /// subject and reason as the message, Warning for a rollback or failure.
    public func recorded(_ transition: RolloutStatus) async {
        let key = transition.key
        var subject = await services.cache.get(namespace: key.namespace, name: ObjectNames.stableService(key))
        if subject == nil { subject = await ownedDeployments(of: key).first }
        guard let subject else { return }
        let warning = transition.phase == .RollingBack || transition.phase == .Failed
        let message = LedgerCommitMessage.subject(transition) + ". " + transition.reason
        await events.record(subject, reason: "Rollout" + transition.phase.rawValue, message, kind: warning ? .warning : .normal)
    }
}
