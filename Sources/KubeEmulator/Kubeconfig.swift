/// The kubeconfig an emulator writes for its clients (kubectl, Serin's client).
enum Kubeconfig {
    static func text(server: String, token: String?, namespace: String) -> String {
        let user = token.map { "    token: \(JSONString.quote($0))" } ?? "    {}"
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-emulator
              cluster:
                server: \(server)
            users:
            - name: kube-emulator
              user:
            \(user)
            contexts:
            - name: kube-emulator
              context:
                cluster: kube-emulator
                user: kube-emulator
                namespace: \(JSONString.quote(namespace))
            current-context: kube-emulator

            """
    }
}
