/// Which model a request is for, read from its path alone so the body can stream through untouched.
///
/// Recognised shapes (the query string is ignored):
/// - `/v2/models/<model>` and `/v2/models/<model>/…`: the Open Inference Protocol (V2) that MLServer, Triton and
///   KServe speak, `…/versions/<v>/…` included. That `<v>` is the model server's own version of the model, not
///   Serin's: the path is forwarded unchanged and does not pin a Serin version (use `X-Serin-Version` for that).
/// - `/models/<model>` and `/models/<model>/…`.
/// - `/v1/models/<model>` and `/v1/models/<model>:predict` (KServe's V1 protocol, where a colon ends the name).
/// - `/v2/health/live` and `/v2/health/ready`: the Open Inference Protocol's server health, which its clients and
///   load balancers ask of whatever they take for the inference server, and `/v2`, its server metadata. The router
///   answers them itself.
enum RequestPath {
    /// What a path asks for.
    enum Target: Equatable {
        case model(String)
        case metrics
        case serverLive
        case serverReady
        case serverMetadata
        case unrecognised
    }

    /// The shapes named in the error for an unrecognised path.
    static let supportedShapes = "/v2/models/<model>/…, /models/<model>/… or /v1/models/<model>[:verb]"

    static func target(of uri: String) -> Target {
        var uri = uri
        return uri.withUTF8 { target(of: UnsafeRawBufferPointer($0)) }
    }

    /// Works on the request target's bytes as they came, so routing makes no string of the path: every request
    /// passes here. The delimiters are ASCII, so bytes split the path exactly where characters would.
    static func target(of uri: UnsafeRawBufferPointer) -> Target {
        var end = 0
        while end < uri.count, uri[end] != UInt8(ascii: "?"), uri[end] != UInt8(ascii: "#") { end += 1 }
        let path = UnsafeRawBufferPointer(rebasing: uri[..<end])
        if path.elementsEqual("/metrics".utf8) { return .metrics }
        if path.elementsEqual("/v2/health/live".utf8) { return .serverLive }
        if path.elementsEqual("/v2/health/ready".utf8) { return .serverReady }
        if path.elementsEqual("/v2".utf8) || path.elementsEqual("/v2/".utf8) { return .serverMetadata }
        if let rest = path.droppingPrefix("/v2/models/") {
            return model(in: rest, colonEndsName: false)
        }
        if let rest = path.droppingPrefix("/models/") {
            return model(in: rest, colonEndsName: false)
        }
        if let rest = path.droppingPrefix("/v1/models/") {
            return model(in: rest, colonEndsName: true)
        }
        return .unrecognised
    }

    private static func model(in rest: UnsafeRawBufferPointer, colonEndsName: Bool) -> Target {
        let end = rest.firstIndex { $0 == UInt8(ascii: "/") || (colonEndsName && $0 == UInt8(ascii: ":")) } ?? rest.count
        guard end > 0 else { return .unrecognised }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: rest[..<end]), as: UTF8.self)
        guard name.utf8.contains(UInt8(ascii: "%")) else { return .model(name) }
        return percentDecoded(Substring(name)).map(Target.model) ?? .unrecognised
    }

    /// `%XX` sequences decoded as UTF-8; nil when malformed.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(HTTPBytes.hexValue), let low = iterator.next().flatMap(HTTPBytes.hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Whether `name` can be routed: one path segment, and no character that would end it early.
    static func isValidModelName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { scalar in
            scalar.value < 0x21 || scalar.value == 0x7F || "/?#:%".unicodeScalars.contains(scalar)
        }
    }
}

extension UnsafeRawBufferPointer {
    fileprivate func droppingPrefix(_ prefix: StaticString) -> UnsafeRawBufferPointer? {
        let bytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        guard starts(with: bytes) else { return nil }
        return UnsafeRawBufferPointer(rebasing: self[bytes.count...])
    }
}
