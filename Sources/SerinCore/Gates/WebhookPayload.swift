/// The JSON body a webhook gate POSTs: what the receiver needs to test the right thing, and nothing secret.
///
/// ```json
/// {"apiVersion":"serin.dev/v1alpha1","kind":"GateCheck","gate":"smoke","model":"fraud-detector",
///  "namespace":"ml-prod","name":"fraud-detector","canaryVersion":"13","stableVersion":"12","weight":25,
///  "step":1,"interval":"1m","metadata":{"suite":"golden"}}
/// ```
/// `stableVersion` and `step` are null when there is none (a first deployment; a strategy without steps). Keys are
/// in this fixed order and metadata keys sorted, so the same check always sends the same bytes: a receiver
/// verifying the HMAC signature over the raw body sees exactly what was signed.
public enum WebhookPayload {
    public static func body(gate: String, webhook: WebhookCheck, context: GateContext) -> [UInt8] {
        let members: [(String, String)] = [
            ("apiVersion", JSON.string(ModelDeployment.apiVersion)),
            ("kind", JSON.string("GateCheck")),
            ("gate", JSON.string(gate)),
            ("model", JSON.string(context.modelName)),
            ("namespace", JSON.string(context.key.namespace)),
            ("name", JSON.string(context.key.name)),
            ("canaryVersion", JSON.string(context.canaryVersion)),
            ("stableVersion", context.stableVersion.map(JSON.string) ?? "null"),
            ("weight", String(context.canaryWeight)),
            ("step", context.stepIndex.map(String.init) ?? "null"),
            ("interval", JSON.string(context.interval.description)),
            ("metadata", JSON.object(webhook.metadata.keys.sorted().map { ($0, JSON.string(webhook.metadata[$0] ?? "")) })),
        ]
        return Array(JSON.object(members).utf8)
    }
}
