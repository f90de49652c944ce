import Foundation
import SerinCore

/// Decodes the protobuf bodies kubectl's generators send (`kubectl create namespace|configmap|secret|
/// serviceaccount|service|deployment`) into the JSON objects they stand for. client-go does not fall back to JSON
/// on a 415, so these few types are read here; only the fields those generators set are known, and, like Go's
/// `omitempty`, zero values are dropped unless the field is a pointer.
enum ProtobufObjects {
    /// How one field converts to JSON.
    indirect enum Field: Sendable {
        case string
        case integer
        case bool
        /// Bytes, as base64 in JSON (Secret data).
        case bytes
        case message(Schema)
        case stringMap
        case bytesMap
        /// resource.Quantity values by name (`{1: "500m"}`).
        case quantityMap
        case intOrString
        case repeated(Field)
        /// A Go pointer: its zero value is kept.
        case pointer(Field)
    }

    typealias Schema = [Int: (name: String, field: Field)]

    static let ownerReference: Schema = [
        1: ("kind", .string), 3: ("name", .string), 4: ("uid", .string), 5: ("apiVersion", .string),
        6: ("controller", .pointer(.bool)), 7: ("blockOwnerDeletion", .pointer(.bool)),
    ]
    static let objectMeta: Schema = [
        1: ("name", .string), 2: ("generateName", .string), 3: ("namespace", .string),
        11: ("labels", .stringMap), 12: ("annotations", .stringMap),
        13: ("ownerReferences", .repeated(.message(ownerReference))), 14: ("finalizers", .repeated(.string)),
    ]
    static let container: Schema = [
        1: ("name", .string), 2: ("image", .string), 3: ("command", .repeated(.string)), 4: ("args", .repeated(.string)),
        5: ("workingDir", .string),
        6: ("ports", .repeated(.message([1: ("name", .string), 2: ("hostPort", .integer),
                                          3: ("containerPort", .integer), 4: ("protocol", .string),
                                          5: ("hostIP", .string)]))),
        7: ("env", .repeated(.message([1: ("name", .string), 2: ("value", .string)]))),
        8: ("resources", .message([1: ("limits", .quantityMap), 2: ("requests", .quantityMap)])),
        13: ("terminationMessagePath", .string), 14: ("imagePullPolicy", .string),
        20: ("terminationMessagePolicy", .string),
    ]
    static let podSpec: Schema = [
        2: ("containers", .repeated(.message(container))), 3: ("restartPolicy", .string),
        4: ("terminationGracePeriodSeconds", .pointer(.integer)), 6: ("dnsPolicy", .string),
        7: ("nodeSelector", .stringMap), 8: ("serviceAccountName", .string),
    ]
    static let labelSelector: Schema = [1: ("matchLabels", .stringMap)]
    static let deploymentSpec: Schema = [
        1: ("replicas", .pointer(.integer)), 2: ("selector", .message(labelSelector)),
        3: ("template", .message([1: ("metadata", .message(objectMeta)), 2: ("spec", .message(podSpec))])),
        4: ("strategy", .message([1: ("type", .string),
                                  2: ("rollingUpdate", .message([1: ("maxUnavailable", .intOrString),
                                                                 2: ("maxSurge", .intOrString)]))])),
        5: ("minReadySeconds", .integer), 6: ("revisionHistoryLimit", .pointer(.integer)), 7: ("paused", .bool),
        9: ("progressDeadlineSeconds", .pointer(.integer)),
    ]
    static let serviceSpec: Schema = [
        1: ("ports", .repeated(.message([1: ("name", .string), 2: ("protocol", .string), 3: ("port", .integer),
                                          4: ("targetPort", .intOrString), 5: ("nodePort", .integer)]))),
        2: ("selector", .stringMap), 3: ("clusterIP", .string), 4: ("type", .string),
    ]

    /// The top-level schema per kind.
    static let kinds: [String: Schema] = [
        "Namespace": [1: ("metadata", .message(objectMeta)), 2: ("spec", .message([1: ("finalizers", .repeated(.string))]))],
        "ConfigMap": [1: ("metadata", .message(objectMeta)), 2: ("data", .stringMap), 3: ("binaryData", .bytesMap),
                      4: ("immutable", .pointer(.bool))],
        "Secret": [1: ("metadata", .message(objectMeta)), 2: ("data", .bytesMap), 3: ("type", .string),
                   4: ("stringData", .stringMap), 5: ("immutable", .pointer(.bool))],
        "ServiceAccount": [1: ("metadata", .message(objectMeta))],
        "Service": [1: ("metadata", .message(objectMeta)), 2: ("spec", .message(serviceSpec))],
        "Deployment": [1: ("metadata", .message(objectMeta)), 2: ("spec", .message(deploymentSpec))],
    ]

    /// The magic that starts every Kubernetes protobuf body, before the `runtime.Unknown` envelope.
    static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    /// The JSON object a `k8s\0`-prefixed protobuf body holds, or nil when it is not one of the known kinds.
    static func decode(_ body: [UInt8]) -> JSONValue? {
        guard body.count >= 4, Array(body.prefix(4)) == magic,
              let envelope = try? ProtobufWire.fields(of: body[4...])
        else { return nil }
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        for (number, value) in envelope {
            guard case .bytes(let bytes) = value else { continue }
            if number == 1, let typeMeta = try? ProtobufWire.fields(of: bytes) {
                for (field, typeValue) in typeMeta {
                    guard case .bytes(let text) = typeValue else { continue }
                    if field == 1 { apiVersion = String(decoding: text, as: UTF8.self) }
                    if field == 2 { kind = String(decoding: text, as: UTF8.self) }
                }
            }
            if number == 2 { raw = bytes }
        }
        guard let schema = kinds[kind], var object = try? message(raw, schema).objectValue else { return nil }
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    private static func message(_ bytes: ArraySlice<UInt8>, _ schema: Schema) throws(ProtobufWire.Malformed) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for (number, value) in try ProtobufWire.fields(of: bytes) {
            guard let (name, field) = schema[number] else { continue }
            switch field {
            case .repeated(let element):
                guard let converted = try convert(value, element, keepZero: true) else { continue }
                object[name] = .array((object[name]?.arrayValue ?? []) + [converted])
            case .stringMap, .bytesMap, .quantityMap:
                guard case .bytes(let entry) = value else { continue }
                var key = ""
                var entryValue: JSONValue = ""
                for (entryNumber, part) in try ProtobufWire.fields(of: entry) {
                    guard case .bytes(let text) = part else { continue }
                    if entryNumber == 1 { key = String(decoding: text, as: UTF8.self) }
                    if entryNumber == 2 {
                        switch field {
                        case .bytesMap: entryValue = .string(Data(text).base64EncodedString())
                        case .quantityMap: entryValue = try quantity(text)
                        default: entryValue = .string(String(decoding: text, as: UTF8.self))
                        }
                    }
                }
                var map = object[name]?.objectValue ?? [:]
                map[key] = entryValue
                object[name] = .object(map)
            case .pointer(let inner):
                if let converted = try convert(value, inner, keepZero: true) { object[name] = converted }
            default:
                if let converted = try convert(value, field, keepZero: false) { object[name] = converted }
            }
        }
        return .object(object)
    }

    private static func convert(_ value: ProtobufWire.Value, _ field: Field, keepZero: Bool)
        throws(ProtobufWire.Malformed) -> JSONValue?
    {
        switch (field, value) {
        case (.string, .bytes(let text)):
            if text.isEmpty && !keepZero { return nil }
            return .string(String(decoding: text, as: UTF8.self))
        case (.bytes, .bytes(let data)):
            if data.isEmpty && !keepZero { return nil }
            return .string(Data(data).base64EncodedString())
        case (.integer, .varint(let number)):
            if number == 0 && !keepZero { return nil }
            return .integer(Int64(bitPattern: number))
        case (.bool, .varint(let number)):
            if number == 0 && !keepZero { return nil }
            return .bool(number != 0)
        case (.message(let schema), .bytes(let bytes)):
            let converted = try message(bytes, schema)
            if converted.objectValue?.isEmpty == true && !keepZero { return nil }
            return converted
        case (.intOrString, .bytes(let bytes)):
            var type: UInt64 = 0
            var number: Int64 = 0
            var text = ""
            for (fieldNumber, part) in try ProtobufWire.fields(of: bytes) {
                switch (fieldNumber, part) {
                case (1, .varint(let value)): type = value
                case (2, .varint(let value)): number = Int64(bitPattern: value)
                case (3, .bytes(let value)): text = String(decoding: value, as: UTF8.self)
                default: break
                }
            }
            return type == 1 ? .string(text) : .integer(number)
        case (.pointer(let inner), _):
            return try convert(value, inner, keepZero: true)
        default:
            return nil
        }
    }

    private static func quantity(_ bytes: ArraySlice<UInt8>) throws(ProtobufWire.Malformed) -> JSONValue {
        for (number, part) in try ProtobufWire.fields(of: bytes) {
            if number == 1, case .bytes(let text) = part { return .string(String(decoding: text, as: UTF8.self)) }
        }
        return "0"
    }
}
