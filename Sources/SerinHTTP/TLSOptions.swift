/// Where PEM material comes from: a file read when a transfer is prepared, or bytes held in memory (a kubeconfig's
/// `*-data` fields, already base64-decoded). Files are passed to libcurl by path so rotated certificates are picked up.
public enum PEMSource: Sendable, Hashable {
    case file(String)
    case data([UInt8])
}

/// How the server's certificate is checked. Verification is on unless a configuration explicitly turns it off.
public struct TLSOptions: Sendable, Hashable {
    /// The certificate authority that signed the server's certificate; nil trusts the system's bundle.
    public var certificateAuthority: PEMSource?
    /// Skips verification of the server certificate. Only ever true when a configuration says so explicitly.
    public var insecureSkipVerify: Bool
    /// The name the server certificate is checked against (and sent as SNI) instead of the URL's host.
    public var serverName: String?

    public init(certificateAuthority: PEMSource? = nil, insecureSkipVerify: Bool = false, serverName: String? = nil) {
        self.certificateAuthority = certificateAuthority
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}
