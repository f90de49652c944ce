import Foundation

/// The kubeconfig an emulator writes for its clients (kubectl, Serin's client).
enum Kubeconfig {
    /// With `certificateAuthority` (PEM) the cluster carries it as `certificate-authority-data`, so clients verify
    /// the server instead of being told to skip verification.
    static func text(server: String, certificateAuthority: [UInt8]? = nil, token: String?, namespace: String) -> String {
        let user = token.map { "    token: \(JSONString.quote($0))" } ?? "    {}"
        let authority = certificateAuthority.map {
            "\n    certificate-authority-data: \(Data($0).base64EncodedString())"
        } ?? ""
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-emulator
              cluster:
                server: \(server)\(authority)
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
