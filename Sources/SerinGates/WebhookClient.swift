import Foundation
import Logging
import SerinCore
import SerinHTTP

/// What came of calling a webhook gate.
public enum WebhookOutcome: Sendable, Hashable {
    /// The receiver answered; `body` is the start of its answer, one line.
    case answered(status: Int, body: String)
    /// No answer: refused, unreachable, or not within the gate's timeout. Says which.
    case noAnswer(String)
    /// The request was not sent, because its signing key could not be read. Says why and where.
    case notSent(String)
}

/// Calls webhook gates: POSTs `WebhookPayload`'s JSON, signed when the gate names a key, and reports what came back.
///
/// The signing key is read at every call (a rotated Secret needs no restart), never logged, and never sent
/// anywhere but into the HMAC. When the gate names a key that cannot be read, nothing is sent: an unsigned request
/// to a receiver that expects signatures would be refused at best and trusted at worst.
public struct WebhookClient: Sendable {
    private let tls: TLSOptions
    private let environment: [String: String]
    private let logger: Logger

    /// `environment` is where `secret: {env: NAME}` keys are looked up: the process's own by default.
    public init(tls: TLSOptions = TLSOptions(), environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger) {
        self.tls = tls
        self.environment = environment
        self.logger = logger
    }

    public func call(_ webhook: WebhookCheck, gate: String, context: GateContext) async -> WebhookOutcome {
        let body = WebhookPayload.body(gate: gate, webhook: webhook, context: context)
        var headers = ["Content-Type: application/json", "Accept: application/json, text/plain, */*", "User-Agent: serin"]
        if let secret = webhook.secret {
            switch readKey(secret) {
            case .success(let key): headers.append("\(WebhookSignature.header): \(WebhookSignature.sign(body, key: key))")
            case .failure(let problem): return .notSent(problem.message)
            }
        }
        let timeout = webhook.timeout.duration
        let request = HTTPRequest(method: "POST", url: webhook.url, headers: headers, body: body, tls: tls,
                                  connectTimeout: min(timeout, .seconds(10)), timeout: timeout, maxBodyBytes: 64 << 10)
        let address = DisplayURL.of(webhook.url)
        logger.debug("calling webhook gate", metadata: ["gate": "\(gate)", "url": "\(address)", "signed": "\(webhook.secret != nil)"])
        do {
            let response = try await HTTPTransport.send(request)
            return .answered(status: response.status, body: Excerpt.of(response.body, limit: 200))
        } catch {
            switch error {
            case .timedOut: return .noAnswer("the webhook at \(address) did not answer within \(webhook.timeout)")
            case .unreachable(let message): return .noAnswer("the webhook at \(address) is unreachable: \(message)")
            case .bodyTooLarge(let limit): return .noAnswer("the webhook at \(address) answered with more than \(limit) bytes, which Serin does not read")
            case .cancelled: return .noAnswer("the call to the webhook at \(address) was cancelled")
            }
        }
    }

    private struct KeyProblem: Error { var message: String }

    private func readKey(_ secret: WebhookSecret) -> Result<[UInt8], KeyProblem> {
        let notSent = "the request was not sent, because the gate asks for signed requests"
        let bytes: [UInt8]
        let place: String
        switch secret {
        case .file(let path):
            place = "file \(path)"
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
                return .failure(KeyProblem(message: "cannot read the webhook signing key from \(place): \(reason); \(notSent)"))
            }
        case .environment(let name):
            place = "environment variable \(name)"
            guard let value = environment[name] else {
                return .failure(KeyProblem(message: "the webhook signing key's \(place) is not set in Serin's environment; \(notSent)"))
            }
            bytes = Array(value.utf8)
        }
        // A key written with `echo` ends in a newline that is not part of it.
        var key = bytes[...]
        while let last = key.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { key = key.dropLast() }
        guard !key.isEmpty else {
            return .failure(KeyProblem(message: "the webhook signing key in \(place) is empty; \(notSent)"))
        }
        return .success(Array(key))
    }
}
