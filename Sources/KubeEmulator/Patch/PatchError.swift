/// Why a patch could not be applied. The message is worded like kube-apiserver's (k8s.io/apimachinery
/// mergepatch errors, RFC 6902 failures), so the server can put it in a Status as it is: `422 Invalid` for a patch
/// that parsed but does not apply, `400 BadRequest` for one that is malformed.
struct PatchError: Error, Sendable, Hashable, CustomStringConvertible {
    var message: String

    var description: String { message }
}
