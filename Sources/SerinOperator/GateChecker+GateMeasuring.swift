import SerinCore
import SerinGates

extension GateChecker: GateMeasuring {
    public func measure(_ gates: [Gate], rollout: RolloutSpec, context: GateContext) async -> [GateResult] {
        await check(gates, rollout: rollout, context: context)
    }
}
