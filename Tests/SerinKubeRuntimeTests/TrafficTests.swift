import Foundation
import SerinCore
import SerinKube
import SerinKubeRuntime
import SerinOperator
import Testing
import TestSupport

/// Traffic splits through each provider: a Gateway API HTTPRoute and an Istio VirtualService the user wrote, and
/// replica counts when there is no router.
@Suite("Traffic splitting on Kubernetes")
struct TrafficTests {
    static let httpRoute = """
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: models, namespace: ml}
    spec:
      parentRefs: [{name: inference-gateway}]
      rules:
        - matches: [{path: {type: PathPrefix, value: /docs}}]
          backendRefs: [{name: docs, port: 8080}]
        - matches: [{path: {type: PathPrefix, value: /v2/models/iris}}]
          backendRefs: [{name: iris, port: 80}]
    """

    /// The weights of the iris rule, by Service.
    private func weights(_ route: JSONValue?, rules: String = "rules", backends: String = "backendRefs",
                         name: (JSONValue) -> String? = { $0["name"]?.stringValue }) -> [String] {
        let rule = route?[path: "spec", rules]?.arrayValue?[1]
        return (rule?[backends]?.arrayValue ?? []).map { "\(name($0) ?? "?")=\($0["weight"]?.integerValue.map(String.init) ?? "-")" }
    }

    @Test func aWeightChangeIsLoggedForTheModelWithoutTheDesiredVersion() async throws {
        // The line is about the split, which names its backends; during a rollback the desired version is not one of them.
        let log = CapturedLog(metadataProvider: ModelLogContext.metadataProvider)
        try await RuntimeHarness.with(runtimeLogger: log.logger) { harness in
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("route.yaml", Self.httpRoute),
                                               "--validate=false"])
            let v1 = try iris("1", traffic: "{gatewayAPI: {route: models}}")
            let context = ModelLogContext(key: RuntimeHarness.iris, version: "3", desiredCommit: "0123456789abcdef")
            try await ModelLogContext.$current.withValue(context) {
                try await harness.settle([.deploy(v1.revision, replicas: 1), .route(.all(to: v1.revision))], desired: v1)
            }
        }
        let line = try #require(log.lines.first { $0.message == "traffic shifted" })
        #expect(line.metadata["model"] == "ml/iris")
        #expect(line.metadata["version"] == nil, "\(line.metadata)")
    }

    @Test func httpRouteWeightsFollowTheSplitAndNothingElseInTheRouteMoves() async throws {
        try await RuntimeHarness.with { harness in
            let manifest = try harness.kubectl.manifest("route.yaml", Self.httpRoute)
            try await harness.kubectl.succeed(["apply", "-f", manifest, "--validate=false"])
            let traffic = "{gatewayAPI: {route: models}}"
            let v1 = try iris("1", traffic: traffic)
            let v2 = try iris("2", traffic: traffic)
            let old = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            let new = ObjectNames.revision(RuntimeHarness.iris, v2.revision)
            let before = try #require(try await harness.get(.httpRoutes, "models"))

            try await harness.settle([.deploy(v1.revision, replicas: 2), .route(.all(to: v1.revision))], desired: v1)
            var route = try await harness.kubectlGet("httproute", "models")
            #expect(weights(route) == ["\(old)=100"])
            #expect(route?[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"] == [["name": .string(old), "port": 80, "weight": 100]])

            for weight in [10, 50, 100] {
                let split = TrafficSplit(stable: v1.revision, canary: v2.revision, canaryWeight: weight)
                try await harness.settle([.deploy(v2.revision, replicas: 2), .deploy(v1.revision, replicas: 2), .route(split)], desired: v2)
                route = try await harness.kubectlGet("httproute", "models")
                #expect(weights(route) == ["\(old)=\(100 - weight)", "\(new)=\(weight)"])
            }
            // Both revisions keep their full size: the router, not replica counts, splits the traffic.
            #expect(try await harness.get(.deployments, new)?[path: "spec", "replicas"] == 2)
            #expect(try await harness.get(.deployments, old)?[path: "spec", "replicas"] == 2)

            let mark = await harness.requestCount()
            try await harness.settle([.deploy(v2.revision, replicas: 2), .route(.all(to: v2.revision)), .remove(v1.revision)], desired: v2)
            route = try await harness.kubectlGet("httproute", "models")
            #expect(weights(route) == ["\(new)=100"])
            // Weight-only moves are JSON patches of the route; nothing else in it changed.
            let patches = await harness.writes(since: mark).filter { $0.path.contains("/httproutes/") }
            #expect(patches.allSatisfy { $0.method == "PATCH" && $0.contentType == "application/json-patch+json" })
            #expect(route?[path: "spec", "rules"]?.arrayValue?[0] == before[path: "spec", "rules"]?.arrayValue?[0])
            #expect(route?[path: "spec", "parentRefs"] == before[path: "spec", "parentRefs"])
            #expect(route?[path: "metadata", "labels"] == before[path: "metadata", "labels"])
            let shifted = try await harness.events(about: "models").filter { $0["reason"] == "TrafficShifted" }
            #expect(shifted.count >= 4)

            // The model goes: the rule points back at the stable Service, as its owner first wrote it.
            try await harness.settle([.route(.none), .remove(v2.revision)], desired: nil)
            route = try await harness.kubectlGet("httproute", "models")
            #expect(weights(route) == ["iris=-"])
        }
    }

    @Test func weightsEditedByHandAreSetBack() async throws {
        try await RuntimeHarness.with { harness in
            let manifest = try harness.kubectl.manifest("route.yaml", Self.httpRoute)
            try await harness.kubectl.succeed(["apply", "-f", manifest, "--validate=false"])
            let traffic = "{provider: gateway-api, gatewayAPI: {route: models}}"
            let v1 = try iris("1", traffic: traffic)
            let v2 = try iris("2", traffic: traffic)
            let actions: [RolloutAction] = [.deploy(v2.revision, replicas: 1), .deploy(v1.revision, replicas: 1),
                                            .route(TrafficSplit(stable: v1.revision, canary: v2.revision, canaryWeight: 10))]
            try await harness.settle([.deploy(v1.revision, replicas: 1), .route(.all(to: v1.revision))], desired: v1)
            try await harness.settle(actions, desired: v2)
            try await harness.kubectl.succeed(["patch", "httproute", "models", "-n", "ml", "--type", "json", "-p",
                                               #"[{"op":"replace","path":"/spec/rules/1/backendRefs/1/weight","value":90}]"#])
            // The next reconcile after the runtime hears of the edit puts the weight back.
            #expect(await eventually {
                try await harness.runtime.perform(actions, key: RuntimeHarness.iris, desired: v2)
                return weights(try await harness.get(.httpRoutes, "models")).last?.hasSuffix("=10") == true
            })
            #expect(weights(try await harness.get(.httpRoutes, "models")).map { $0.split(separator: "=").last.map(String.init) } == ["90", "10"])
        }
    }

    @Test func fieldsARealAPIServerDefaultsInABackendAreNotRewritten() async throws {
        try await RuntimeHarness.with { harness in
            // As kube-apiserver stores `{name: iris, port: 80}` after the Gateway API CRD's defaulting.
            let defaulted = Self.httpRoute.replacingOccurrences(of: "[{name: iris, port: 80}]",
                                                                with: #"[{group: "", kind: Service, name: iris, port: 80, weight: 1}]"#)
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("route.yaml", defaulted), "--validate=false"])
            let v1 = try iris("1", traffic: "{gatewayAPI: {route: models}}")
            #expect(await eventually {
                let mark = await harness.requestCount()
                try await harness.runtime.perform([.route(.none)], key: RuntimeHarness.iris, desired: v1)
                return await harness.writes(since: mark).isEmpty
            })
            #expect(try await harness.get(.httpRoutes, "models")?[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"] == [
                ["group": "", "kind": "Service", "name": "iris", "port": 80, "weight": 1]])
        }
    }

    @Test func aMissingRouteOrRuleIsAnErrorThatSaysWhatToCreate() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1", traffic: "{gatewayAPI: {route: models}}")
            let actions: [RolloutAction] = [.deploy(v1.revision, replicas: 1), .route(.all(to: v1.revision))]
            await #expect(throws: KubernetesRuntimeError.routeNotFound(kind: "HTTPRoute", namespace: "ml", name: "models", service: "iris")) {
                try await harness.runtime.perform(actions, key: RuntimeHarness.iris, desired: v1)
            }
            let unrelated = Self.httpRoute.replacingOccurrences(of: "[{name: iris, port: 80}]", with: "[{name: other, port: 80}]")
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("route.yaml", unrelated), "--validate=false"])
            #expect(await eventually {
                do {
                    try await harness.runtime.perform(actions, key: RuntimeHarness.iris, desired: v1)
                    return false
                } catch let error as KubernetesRuntimeError {
                    return error == .routeHasNoRuleForModel(kind: "HTTPRoute", namespace: "ml", name: "models", service: "iris")
                        && error.description.contains("Add a rule with the backend iris (port 80)")
                }
            })
        }
    }

    @Test func virtualServiceWeightsFollowTheSplit() async throws {
        try await RuntimeHarness.with { harness in
            let manifest = try harness.kubectl.manifest("vs.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: iris, namespace: ml}
            spec:
              hosts: [iris.example.com]
              gateways: [ml-gateway]
              http:
                - name: docs
                  match: [{uri: {prefix: /docs}}]
                  route: [{destination: {host: docs}}]
                - name: inference
                  route: [{destination: {host: iris.ml.svc.cluster.local, port: {number: 80}}}]
                  timeout: 30s
            """)
            try await harness.kubectl.succeed(["apply", "-f", manifest, "--validate=false"])
            let traffic = "{provider: istio, istio: {virtualService: iris}}"
            let v1 = try iris("1", traffic: traffic)
            let v2 = try iris("2", traffic: traffic)
            let old = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            let new = ObjectNames.revision(RuntimeHarness.iris, v2.revision)
            let host: (JSONValue) -> String? = { $0[path: "destination", "host"]?.stringValue }
            try await harness.settle([.deploy(v1.revision, replicas: 2), .route(.all(to: v1.revision))], desired: v1)
            var service = try await harness.kubectlGet("virtualservice", "iris")
            #expect(weights(service, rules: "http", backends: "route", name: host) == ["\(old)=100"])
            #expect(service?[path: "spec", "http"]?.arrayValue?[1]["route"] == [
                ["destination": ["host": .string(old), "port": ["number": 80]], "weight": 100]])
            try await harness.settle([.deploy(v2.revision, replicas: 2), .deploy(v1.revision, replicas: 2),
                                      .route(TrafficSplit(stable: v1.revision, canary: v2.revision, canaryWeight: 25))], desired: v2)
            service = try await harness.kubectlGet("virtualservice", "iris")
            #expect(weights(service, rules: "http", backends: "route", name: host) == ["\(old)=75", "\(new)=25"])
            #expect(service?[path: "spec", "http"]?.arrayValue?[1]["timeout"] == "30s")
            #expect(service?[path: "spec", "http"]?.arrayValue?[0]["route"] == [["destination": ["host": "docs"]]])
        }
    }

    @Test func aBackendOfAnotherModelWhoseNameSharesThePrefixIsLeftInTheRule() async throws {
        try await RuntimeHarness.with { harness in
            // Model iris-canary's revision Service looks like one of iris's revisions (iris-…-8 hex digits).
            let other = try model("""
            apiVersion: serin.dev/v1alpha1
            kind: ModelDeployment
            metadata: {name: iris-canary, namespace: ml}
            spec:
              model: {version: "1", uri: "s3://models/iris-canary/1"}
              runtime: {image: seldonio/mlserver:1.7.1}
              traffic: {provider: replicas}
            """)
            let otherKey = DeploymentKey(namespace: "ml", name: "iris-canary")
            try await harness.settle([.deploy(other.revision, replicas: 1), .route(.all(to: other.revision))], desired: other, key: otherKey)
            let otherService = ObjectNames.revision(otherKey, other.revision)
            let route = Self.httpRoute.replacingOccurrences(of: "[{name: iris, port: 80}]",
                                                            with: "[{name: iris, port: 80}, {name: \(otherService), port: 80, weight: 0}]")
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("route.yaml", route), "--validate=false"])
            let v1 = try iris("1", traffic: "{gatewayAPI: {route: models}}")
            try await harness.settle([.deploy(v1.revision, replicas: 1), .route(.all(to: v1.revision))], desired: v1)
            let backends = try await harness.get(.httpRoutes, "models")?[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"]?.arrayValue ?? []
            let names = backends.compactMap { $0["name"]?.stringValue }
            #expect(names.contains(otherService), "iris took over iris-canary's backend: \(names)")
            #expect(names.contains(ObjectNames.revision(RuntimeHarness.iris, v1.revision)), "\(names)")
        }
    }

    @Test func aConfiguredDefaultProviderAppliesToAModelWhoseSpecNamesNone() async throws {
        try await RuntimeHarness.with { harness in
            try await harness.kubectl.succeed(["apply", "-f", try harness.kubectl.manifest("vs.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: iris, namespace: ml}
            spec:
              hosts: [iris.example.com]
              http:
                - route: [{destination: {host: iris}}]
            """), "--validate=false"])
            let runtime = KubernetesRuntime(client: harness.client, configuration: .init(instance: "serin-test", defaultProvider: .istio),
                                            logger: Quiet.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await runtime.run() }
                defer { group.cancelAll() }
                let v1 = try iris("1", traffic: "{}")
                #expect(v1.spec.traffic.provider == nil)
                let name = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
                var last = "nothing yet"
                #expect(await eventually {
                    do {
                        try await runtime.perform([.deploy(v1.revision, replicas: 1), .route(.all(to: v1.revision))],
                                                  key: RuntimeHarness.iris, desired: v1)
                    } catch {
                        last = "\(error)"
                        return false
                    }
                    let route = try await harness.kubectlGet("virtualservice", "iris")?[path: "spec", "http"]?.arrayValue?.first?["route"]
                    last = "\(route.map { "\($0)" } ?? "no route")"
                    return route == [["destination": ["host": .string(name), "port": ["number": 80]], "weight": 100]]
                }, "\(last)")
            }
        }
    }

    @Test func withoutARouterReplicaCountsCarryTheSplit() async throws {
        try await RuntimeHarness.with { harness in
            let v1 = try iris("1", replicas: 4)
            let v2 = try iris("2", replicas: 4)
            let old = ObjectNames.revision(RuntimeHarness.iris, v1.revision)
            let new = ObjectNames.revision(RuntimeHarness.iris, v2.revision)
            try await harness.settle([.deploy(v1.revision, replicas: 4), .route(.all(to: v1.revision))], desired: v1)
            // weight: (stable, canary) replicas of 4: ceil(4 × w / 100) for the canary, and one each at least.
            let expected = [0: (4, 1), 10: (3, 1), 25: (3, 1), 50: (2, 2), 60: (1, 3), 100: (0, 4)]
            for weight in [0, 10, 25, 50, 60, 100] {
                let split = TrafficSplit(stable: v1.revision, canary: v2.revision, canaryWeight: weight)
                try await harness.settle([.deploy(v2.revision, replicas: 4), .deploy(v1.revision, replicas: 4), .route(split)], desired: v2)
                let stable = try await harness.get(.deployments, old)?[path: "spec", "replicas"]?.integerValue
                let canary = try await harness.get(.deployments, new)?[path: "spec", "replicas"]?.integerValue
                #expect(stable == Int64(expected[weight]?.0 ?? -1) && canary == Int64(expected[weight]?.1 ?? -1), "at \(weight)%")
            }
            // One Service selects both revisions' pods, so each takes its share of the pods.
            let selector = try await harness.get(.services, "iris")?[path: "spec", "selector"]
            #expect(selector == ["app.kubernetes.io/managed-by": "serin", "serin.dev/model": "iris"])
            try await harness.settle([.deploy(v2.revision, replicas: 4), .route(.all(to: v2.revision)), .remove(v1.revision)], desired: v2)
            #expect(try await harness.get(.deployments, new)?[path: "spec", "replicas"] == 4)
            #expect(try await harness.get(.deployments, old) == nil)
        }
    }
}
