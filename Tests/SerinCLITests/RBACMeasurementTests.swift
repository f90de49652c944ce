import Foundation
import Testing

/// Least privilege, measured: the operator runs through the end-to-end scenarios' operations against the API
/// emulator, every request it made (user agent serin-kube) is mapped to the RBAC rule it needs, and the ClusterRole
/// and leader-election Role of manifests/ (and the namespaced variant's Role) must grant exactly those.
@Suite("RBAC in manifests/ is what the operator uses", .serialized)
struct RBACMeasurementTests {
    /// What one request needs: an (API group, resource, verb) or, outside /api and /apis, a non-resource URL.
    struct Permission: Hashable, Comparable, CustomStringConvertible {
        var group: String
        var resource: String
        var verb: String

        var description: String { resource.hasPrefix("/") ? "\(verb) \(resource)" : "\(verb) \(group.isEmpty ? "core" : group)/\(resource)" }
        static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }
    }

    /// Reads Serin makes only when a write lost a race: after 409 Conflict or AlreadyExists (ObjectWriter.read) or a
    /// failed `test` operation in a route's JSON patch (TrafficRouter.read), it GETs the object afresh and recomputes.
    /// The scenarios hit those races by chance, not on purpose, so these are granted without being measured in every
    /// run; a real cluster without them would fail such a write instead of retrying it.
    static let onlyAfterALostRace: Set<Permission> = [
        Permission(group: "apps", resource: "deployments", verb: "get"),
        Permission(group: "", resource: "services", verb: "get"),
        Permission(group: "gateway.networking.k8s.io", resource: "httproutes", verb: "get"),
        Permission(group: "networking.istio.io", resource: "virtualservices", verb: "get"),
    ]

    /// Kubernetes' request-info rules (k8s.io/apiserver's RequestInfoFactory): GET on a collection is list, and
    /// watch with watch=true; GET on a name is get; POST create; PUT update; PATCH patch; DELETE on a name delete,
    /// on a collection deletecollection. Paths outside /api and /apis are non-resource URLs.
    static func permission(method: String, path: String, query: String) -> Permission? {
        var parts = path.split(separator: "/").map(String.init)
        let group: String
        if parts.first == "api" {
            group = ""
            parts.removeFirst(2)
        } else if parts.first == "apis" {
            guard parts.count >= 3 else { return Permission(group: "", resource: path, verb: method.lowercased()) }
            group = parts[1]
            parts.removeFirst(3)
        } else {
            return Permission(group: "", resource: path, verb: method.lowercased())
        }
        // Discovery of a group or version (/api/v1, /apis/apps/v1) is a non-resource URL too.
        guard !parts.isEmpty else { return Permission(group: "", resource: path, verb: method.lowercased()) }
        if parts.first == "namespaces", parts.count >= 3 { parts.removeFirst(2) }
        let resource = parts.count >= 3 ? "\(parts[0])/\(parts[2])" : parts[0]
        let named = parts.count >= 2
        let watching = query.split(separator: "&").contains { $0 == "watch=true" || $0 == "watch=1" }
        let verb: String
        switch method {
        case "GET", "HEAD": verb = watching ? "watch" : (named ? "get" : "list")
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = named ? "delete" : "deletecollection"
        default: return nil
        }
        return Permission(group: group, resource: resource, verb: verb)
    }

    /// Every permission a set of RBAC rules grants (resourceNames only narrow a grant, so they are ignored here).
    static func granted(by role: [String: Any]) -> Set<Permission> {
        var permissions: Set<Permission> = []
        for rule in (role["rules"] as? [[String: Any]]) ?? [] {
            let verbs = rule["verbs"] as? [String] ?? []
            for url in rule["nonResourceURLs"] as? [String] ?? [] {
                for verb in verbs { permissions.insert(Permission(group: "", resource: url, verb: verb)) }
            }
            for group in rule["apiGroups"] as? [String] ?? [] {
                for resource in rule["resources"] as? [String] ?? [] {
                    for verb in verbs { permissions.insert(Permission(group: group, resource: resource, verb: verb)) }
                }
            }
        }
        return permissions
    }

    /// Runs the representative sequence of the end-to-end scenarios: two leader-electing operators; a first deploy;
    /// canaries split by a Gateway API HTTPRoute and by an Istio VirtualService; a Deployment scaled with kubectl and
    /// put back with a DriftReverted Event; a model removed; the leader killed and the standby taking over. Returns
    /// what Serin's requests needed.
    static func measure(in world: KubernetesRunTests.World) async throws -> Set<Permission> {
        try world.apply(KubernetesRunTests.World.irisRoute)
        try world.apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: wine, namespace: ml}
        spec:
          hosts: [wine.example.com]
          http:
            - route: [{destination: {host: wine, port: {number: 80}}}]
        """)
        try world.write(version: "1", traffic: "{provider: gateway-api}")
        try world.write(version: "1", name: "wine", traffic: "{provider: istio}")
        try world.write(version: "1", name: "plain")
        try world.repository.commit("deploy iris, wine and plain v1")
        let a = try world.startOperator("a", extra: ["--leader-elect"])
        let b = try world.startOperator("b", extra: ["--leader-elect"])
        let firsts = ["ml/iris: Succeeded 100% (v1)", "ml/wine: Succeeded 100% (v1)", "ml/plain: Succeeded 100% (v1)"]
        guard await world.eventually(within: .seconds(120), { Set(firsts).isSubset(of: Set(world.ledger)) }) else {
            throw ClusterInstall.Failure(description: "first deploys: \(world.logs)")
        }
        guard let leader = [a, b].first(where: { $0.text.contains("became leader") }) else {
            throw ClusterInstall.Failure(description: "no leader: \(world.logs)")
        }
        let standby = leader === a ? b : a

        // Drift: kubectl scale on a Deployment and a selector edited on a Service, both put back, with Events.
        let deployment = try #require(try world.names("deployments", model: "plain").first)
        _ = try world.kubectl("scale", deployment, "--replicas=5")
        _ = try world.kubectl("patch", "service", "plain", "--type=merge", "-p", #"{"spec":{"selector":{"tampered":"yes"}}}"#)
        try await world.announcePush(to: leader)
        guard await world.eventually(within: .seconds(60), {
            try !world.driftEvents(of: deployment).isEmpty
                && !world.kubectl("get", "service", "plain", "-o", "jsonpath={.spec.selector}").output.contains("tampered")
        }) else {
            throw ClusterInstall.Failure(description: "drift not reverted: \(world.logs)")
        }

        // Canaries through both routers, and plain removed.
        try world.write(version: "2", traffic: "{provider: gateway-api}")
        try world.write(version: "2", name: "wine", traffic: "{provider: istio}")
        try world.repository.git("rm", "--quiet", "deployments/plain.yaml")
        try world.repository.commit("iris and wine v2, plain removed")
        // This push reaches the standby, which passes it on to the leader through the Lease (a patch).
        try await world.announcePush(to: standby)
        let seconds = ["ml/iris: Succeeded 100% (v2)", "ml/wine: Succeeded 100% (v2)"]
        guard await world.eventually(within: .seconds(120), {
            Set(seconds).isSubset(of: Set(world.ledger)) && world.ledger.contains { $0.hasPrefix("ml/plain: Removed") }
        }) else {
            throw ClusterInstall.Failure(description: "canaries and removal: \(world.logs)")
        }

        // The leader dies; the standby takes the Lease over and carries on.
        leader.kill()
        guard await standby.line(containing: "became leader", within: .seconds(60)) != nil else {
            throw ClusterInstall.Failure(description: "no takeover: \(world.logs)")
        }
        try world.write(version: "3", name: "wine", traffic: "{provider: istio}")
        try world.repository.commit("wine v3")
        try await world.announcePush(to: standby)
        guard await world.eventually(within: .seconds(90), { world.ledger.contains("ml/wine: Succeeded 100% (v3)") }) else {
            throw ClusterInstall.Failure(description: "after takeover: \(world.logs)")
        }
        standby.kill()

        return Set(world.requests.filter { $0.userAgent == "serin-kube" }.compactMap {
            permission(method: $0.method, path: $0.path, query: $0.query)
        })
    }

    @Test func theLostRaceReadsAreReadsOfWhatTheOperatorWrites() async throws {
        // Each exception is a get on a resource the operator is measured writing, never a new resource or verb.
        let writes = Set(["create", "update", "patch", "delete"])
        let world = try await KubernetesRunTests.World()
        let applied = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.path])
        try #require(applied.status == 0, "\(applied.output)")
        let clusterRole = Self.granted(by: try ClusterInstall.object(world, "clusterrole", "serin"))
        for read in Self.onlyAfterALostRace {
            #expect(read.verb == "get")
            #expect(clusterRole.contains { $0.group == read.group && $0.resource == read.resource && writes.contains($0.verb) }, "\(read)")
        }
    }

    @Test func theClusterRoleAndTheLeaderElectionRoleGrantExactlyWhatTheOperatorUsed() async throws {
        let world = try await KubernetesRunTests.World()
        let used = try await Self.measure(in: world)
        let applied = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.path])
        try #require(applied.status == 0, "\(applied.output)")
        let clusterRole = Self.granted(by: try ClusterInstall.object(world, "clusterrole", "serin"))
        let leaderElection = Self.granted(by: try ClusterInstall.object(world, "role", "serin-leader-election", "-n", "serin-system"))

        let leases = used.filter { $0.resource == "leases" }
        #expect(leaderElection == leases, "the leader-election Role grants \(leaderElection.sorted()), the operator used \(leases.sorted())")
        let rest = used.subtracting(leases).union(Self.onlyAfterALostRace)
        #expect(clusterRole.subtracting(rest).isEmpty, "granted but never used: \(clusterRole.subtracting(rest).sorted())")
        #expect(rest.subtracting(clusterRole).isEmpty, "used but not granted: \(rest.subtracting(clusterRole).sorted())")
        #expect(clusterRole.isDisjoint(with: leases), "the Lease is Serin's own namespace's business, not cluster-wide")
    }

    @Test func theNamespacedRoleGrantsExactlyWhatTheOperatorUsed() async throws {
        // The scenarios run with --namespace ml, as the namespaced variant does: models and the Lease both in ml.
        let world = try await KubernetesRunTests.World()
        let measured = try await Self.measure(in: world)
        let applied = try ClusterInstall.kubectl(world, ["apply", "-k", ClusterInstall.manifests.appendingPathComponent("namespaced").path])
        try #require(applied.status == 0, "\(applied.output)")
        let role = Self.granted(by: try ClusterInstall.object(world, "role", "serin", "-n", "ml"))
        let used = measured.union(Self.onlyAfterALostRace)
        #expect(role.subtracting(used).isEmpty, "granted but never used: \(role.subtracting(used).sorted())")
        #expect(used.subtracting(role).isEmpty, "used but not granted: \(used.subtracting(role).sorted())")
    }

    @Test func requestsMapToRBACVerbsAsTheAPIServerMapsThem() {
        let cases: [(String, String, String, String)] = [
            ("GET", "/apis/apps/v1/deployments", "labelSelector=a", "list apps/deployments"),
            ("GET", "/apis/apps/v1/namespaces/ml/deployments", "watch=true&resourceVersion=5", "watch apps/deployments"),
            ("GET", "/api/v1/namespaces/ml/services/iris", "", "get core/services"),
            ("POST", "/api/v1/namespaces/ml/events", "", "create core/events"),
            ("PUT", "/apis/coordination.k8s.io/v1/namespaces/ml/leases/serin-operator", "", "update coordination.k8s.io/leases"),
            ("PATCH", "/apis/networking.istio.io/v1/namespaces/ml/virtualservices/wine", "", "patch networking.istio.io/virtualservices"),
            ("DELETE", "/apis/apps/v1/namespaces/ml/deployments/iris-1", "", "delete apps/deployments"),
            ("DELETE", "/api/v1/namespaces/ml/pods", "", "deletecollection core/pods"),
            ("PUT", "/apis/apps/v1/namespaces/ml/deployments/iris-1/scale", "", "update apps/deployments/scale"),
            ("GET", "/apis/gateway.networking.k8s.io/v1", "", "get /apis/gateway.networking.k8s.io/v1"),
            ("GET", "/version", "", "get /version"),
        ]
        for (method, path, query, expected) in cases {
            #expect(Self.permission(method: method, path: path, query: query)?.description == expected, "\(method) \(path)?\(query)")
        }
    }
}
