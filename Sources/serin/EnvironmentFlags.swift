import ArgumentParser

/// Environment variables that stand in for flags take `true` or `false` and nothing else. Read loosely, a value
/// such as `SERIN_LEADER_ELECT=1` would leave the flag off without a word, and two replicas would both reconcile.
enum EnvironmentFlags {
    static func validate(_ names: [String], in environment: [String: String]) throws {
        for name in names {
            guard let value = environment[name], value != "true", value != "false" else { continue }
            throw ValidationError("\(name) must be true or false, not \(value)")
        }
    }
}
