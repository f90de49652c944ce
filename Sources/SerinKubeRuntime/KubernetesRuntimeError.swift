import SerinCore
import SerinKube

/// Why the Kubernetes runtime could not make a model's objects match its actions. Each description names the object
/// and says what to do; the operator logs it and retries the model with backoff, so a fixed cause heals on its own.
public enum KubernetesRuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An object Serin needs to create or change exists without Serin's `managed-by` label (or belongs to another
    /// model or revision). Serin never touches it.
    case notOwned(kind: String, namespace: String, name: String, owner: String)
    /// `spec.runtime.image` is unset: a container needs an image.
    case missingImage(DeploymentKey)
    /// A revision that is not the desired one must be created or scaled, and no recorded spec for it was found.
    case noRecordedSpec(DeploymentKey, ServingRevision)
    /// The traffic provider's route object does not exist.
    case routeNotFound(kind: String, namespace: String, name: String, service: String)
    /// The route exists but none of its rules sends traffic to this model's Services.
    case routeHasNoRuleForModel(kind: String, namespace: String, name: String, service: String)
    /// The provider's route resource is not served: its CRDs are not installed (or were not when Serin started).
    case routerNotInstalled(DeploymentKey, kind: String, resource: String, provider: TrafficProvider)
    /// The traffic provider cannot be used on Kubernetes.
    case unsupportedProvider(DeploymentKey, TrafficProvider)
    /// The model lives in a namespace this runtime does not manage (`Configuration.namespace`).
    case outsideNamespace(DeploymentKey, managed: String)
    /// An API call failed.
    case api(action: String, KubeError)
    /// An update kept meeting concurrent writers.
    case conflictPersisted(action: String, attempts: Int)

    public var description: String {
        switch self {
        case .notOwned(let kind, let namespace, let name, let owner):
            return "\(kind) \(namespace)/\(name) already exists and \(owner); Serin never changes or deletes objects it does not own. "
                + "Delete or rename that \(kind), or rename the ModelDeployment, and Serin will create its own on the next pass"
        case .missingImage(let key):
            return "\(key): spec.runtime.image is not set; the Kubernetes runtime needs a container image to run the model. Add runtime.image to the ModelDeployment"
        case .noRecordedSpec(let key, let revision):
            return "\(key): revision \(revision) has to be deployed, but its Deployment and Service are gone and with them the spec recorded in their \(ServingLabels.specAnnotation) annotation. "
                + "Commit that revision's document again, or a new version, to replace it"
        case .routeNotFound(let kind, let namespace, let name, let service):
            return "\(kind) \(namespace)/\(name), named in spec.traffic, does not exist. Create it with a rule whose backend is the Service \(service) (port \(ServiceManifest.port)); "
                + "Serin then sets its weights. Or choose another provider in spec.traffic.provider"
        case .routeHasNoRuleForModel(let kind, let namespace, let name, let service):
            return "\(kind) \(namespace)/\(name) has no rule sending traffic to the Service \(service) or to its revisions. "
                + "Add a rule with the backend \(service) (port \(ServiceManifest.port)); Serin edits only the weights of that rule's backends for this model"
        case .routerNotInstalled(let key, let kind, let resource, let provider):
            return "\(key): spec.traffic.provider \(provider.rawValue) needs \(kind) objects, but the API server did not serve \(resource) when Serin started. "
                + "Install its CRDs and restart Serin, or set spec.traffic.provider to replicas"
        case .unsupportedProvider(let key, let provider):
            return "\(key): spec.traffic.provider \(provider.rawValue) is for the local runtime; on Kubernetes use gateway-api, istio or replicas, or leave it unset"
        case .outsideNamespace(let key, let managed):
            return "\(key) is in the namespace \(key.namespace), but this Serin manages only \(managed). "
                + "Move the ModelDeployment to \(managed), or run Serin for all namespaces (with the cluster-wide rights that needs)"
        case .api(let action, let error):
            return "\(action) failed: \(error)"
        case .conflictPersisted(let action, let attempts):
            return "\(action) failed: the object changed under Serin \(attempts) times in a row (409 Conflict); another controller may be fighting over it. Serin retries on the next pass"
        }
    }
}
