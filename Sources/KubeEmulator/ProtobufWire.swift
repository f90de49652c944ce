/// Reads the protobuf wire format: a message is a sequence of (field number, value) pairs, each value a varint,
/// a length-delimited byte string (strings, bytes, nested messages, map entries), or a fixed-width number.
struct ProtobufWire {
    enum Value: Sendable {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed
    }

    struct Malformed: Error {}

    static func fields(of bytes: ArraySlice<UInt8>) throws(Malformed) -> [(Int, Value)] {
        var fields: [(Int, Value)] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let key = try varint(bytes, &index)
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint(bytes, &index))))
            case 2:
                let length = Int(try varint(bytes, &index))
                guard length >= 0, bytes.endIndex - index >= length else { throw Malformed() }
                fields.append((number, .bytes(bytes[index..<(index + length)])))
                index += length
            case 1:
                guard bytes.endIndex - index >= 8 else { throw Malformed() }
                index += 8
                fields.append((number, .fixed))
            case 5:
                guard bytes.endIndex - index >= 4 else { throw Malformed() }
                index += 4
                fields.append((number, .fixed))
            default: throw Malformed()
            }
        }
        return fields
    }

    private static func varint(_ bytes: ArraySlice<UInt8>, _ index: inout Int) throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex, shift < 64 {
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw Malformed()
    }
}
