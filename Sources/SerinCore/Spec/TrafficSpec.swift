/// How traffic is split between the stable and the canary version.
public struct TrafficSpec: Sendable, Hashable {
    /// Nil lets the runtime choose: Gateway API when its CRDs are installed, else replica ratio on Kubernetes;
    /// Serin's own router on the local runtime.
    public var provider: TrafficProvider?
    public var gatewayAPI: GatewayAPITraffic?
    public var istio: IstioTraffic?

    public init(provider: TrafficProvider? = nil, gatewayAPI: GatewayAPITraffic? = nil, istio: IstioTraffic? = nil) {
        self.provider = provider
        self.gatewayAPI = gatewayAPI
        self.istio = istio
    }
}

public enum TrafficProvider: String, Sendable, Hashable, CaseIterable {
    case gatewayAPI = "gateway-api"
    case istio
    case replicas
    case local
}

/// The Gateway API HTTPRoute whose backendRefs weights Serin sets.
public struct GatewayAPITraffic: Sendable, Hashable {
    public var route: String
    /// Nil: the ModelDeployment's namespace.
    public var namespace: String?

    public init(route: String, namespace: String? = nil) {
        self.route = route
        self.namespace = namespace
    }
}

/// The Istio VirtualService whose route weights Serin sets.
public struct IstioTraffic: Sendable, Hashable {
    public var virtualService: String
    /// The host the route matches; nil: the stable Service's name.
    public var host: String?

    public init(virtualService: String, host: String? = nil) {
        self.virtualService = virtualService
        self.host = host
    }
}
