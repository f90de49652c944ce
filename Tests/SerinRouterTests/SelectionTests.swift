@testable import SerinRouter
import Testing

@Suite("Weighted selection")
struct SelectionTests {
    @Test("every canary weight from 0 to 100 gets exactly that many of every 100 picks")
    func exactProportions() {
        for weight in 0...100 {
            var selector = SmoothWeightedRoundRobin(weights: [100 - weight, weight])
            for window in 0..<3 {
                var canary = 0
                for _ in 0..<100 where selector.next() == 1 { canary += 1 }
                #expect(canary == weight, "weight \(weight), window \(window)")
            }
        }
    }

    @Test("a 10% canary takes every tenth request rather than a burst")
    func picksAreSpreadEvenly() {
        var selector = SmoothWeightedRoundRobin(weights: [90, 10])
        let picks = (0..<100).map { _ in selector.next() }
        let canaryPositions = picks.indices.filter { picks[$0] == 1 }
        #expect(canaryPositions.count == 10)
        #expect(zip(canaryPositions, canaryPositions.dropFirst()).allSatisfy { $1 - $0 == 10 })
    }

    @Test("any 10 consecutive picks at 30% hold exactly 3 canary picks")
    func slidingWindowsStayExact() {
        var selector = SmoothWeightedRoundRobin(weights: [70, 30])
        let picks = (0..<300).map { _ in selector.next() }
        for start in 0...(picks.count - 10) {
            #expect(picks[start..<start + 10].filter { $0 == 1 }.count == 3, "window at \(start)")
        }
    }

    @Test("the picks repeat after one period of the total weight, so one cycle can be worked out ahead")
    func picksRepeatWithThePeriod() {
        for weights in [[90, 10], [70, 30], [1, 99], [100, 0], [0, 100], [33, 67], [3, 4]] {
            var selector = SmoothWeightedRoundRobin(weights: weights)
            #expect(selector.period == weights.reduce(0, +))
            let picks = (0..<3 * selector.period).map { _ in selector.next() }
            let cycle = Array(picks[0..<selector.period])
            #expect(Array(picks[selector.period..<2 * selector.period]) == cycle, "weights \(weights)")
            #expect(Array(picks[(2 * selector.period)...]) == cycle, "weights \(weights)")
        }
    }

    @Test("all weights zero picks nothing")
    func zeroWeightsPickNothing() {
        var selector = SmoothWeightedRoundRobin(weights: [0, 0])
        #expect(selector.next() == nil)
        var empty = SmoothWeightedRoundRobin(weights: [])
        #expect(empty.next() == nil)
    }

    @Test("route weights: no stable means the canary takes all, no canary means the stable does")
    func routeWeights() {
        let key = RouterFixture.key
        let stable = Upstream(version: "v1", port: 9001)
        let canary = Upstream(version: "v2", port: 9002)
        #expect(ModelRoute(key: key, modelName: "m", stable: stable, canary: canary, canaryWeight: 10).weights
            == ["v1": 90, "v2": 10])
        #expect(ModelRoute(key: key, modelName: "m", stable: nil, canary: canary, canaryWeight: 10).weights == ["v2": 100])
        #expect(ModelRoute(key: key, modelName: "m", stable: stable, canary: nil, canaryWeight: 10).weights == ["v1": 100])
        #expect(ModelRoute(key: key, modelName: "m", stable: stable, canary: canary, canaryWeight: 0).weights == ["v1": 100])
    }
}

@Suite("Request paths")
struct RequestPathTests {
    @Test("model names are read from Open Inference Protocol, /models and KServe V1 paths")
    func modelNames() {
        #expect(RequestPath.target(of: "/v2/models/iris/infer") == .model("iris"))
        #expect(RequestPath.target(of: "/v2/models/iris") == .model("iris"))
        #expect(RequestPath.target(of: "/v2/models/iris/versions/3/infer") == .model("iris"))
        #expect(RequestPath.target(of: "/v2/models/iris/ready?verbose=1") == .model("iris"))
        #expect(RequestPath.target(of: "/models/iris/predict") == .model("iris"))
        #expect(RequestPath.target(of: "/v1/models/iris:predict") == .model("iris"))
        #expect(RequestPath.target(of: "/v2/models/my%2Dmodel/infer") == .model("my-model"))
        #expect(RequestPath.target(of: "/metrics") == .metrics)
        #expect(RequestPath.target(of: "/metrics?x=1") == .metrics)
        #expect(RequestPath.target(of: "/v2/health/live") == .serverLive)
        #expect(RequestPath.target(of: "/v2/health/ready?x=1") == .serverReady)
        #expect(RequestPath.target(of: "/v2") == .serverMetadata)
        #expect(RequestPath.target(of: "/v2/?x=1") == .serverMetadata)
    }

    @Test("paths without a model are not routed")
    func unrecognisedPaths() {
        for uri in ["/", "/v2x", "/v2/models/", "/v2/models//infer", "/v2/health", "/v2/health/startup", "/modelsx/iris",
                    "/v2/models/%zz/infer"] {
            #expect(RequestPath.target(of: uri) == .unrecognised, "\(uri)")
        }
    }
}
